from pathlib import Path

import pytest

from teamster.core.settings import SettingsError, load_settings

PROD = {
    "TEAMSTER_ENV": "prod",
    "TEAMSTER_KNOWN_HOSTS_FILE": "/secrets/known_hosts",
    "TEAMSTER_GCP_PROJECT": "teamster-prod",
    "TEAMSTER_GCS_BUCKET_PREFIX": "teamster",
    "TEAMSTER_KIPPPATERSON_SIS_SFTP_HOST": "sftp.example.org",
    "TEAMSTER_KIPPPATERSON_SIS_SFTP_USER": "kipp",
    "TEAMSTER_KIPPPATERSON_SIS_SFTP_PASSWORD_FILE": "/secrets/paterson",
    "TEAMSTER_ENROLLMENT_API_URL": "https://enroll.example.org",
    "TEAMSTER_ENROLLMENT_API_USER": "teamster",
    "TEAMSTER_ENROLLMENT_API_PASSWORD_FILE": "/secrets/enrollment",
}
for loc in ("KIPPNEWARK", "KIPPCAMDEN", "KIPPMIAMI"):
    PROD |= {
        f"TEAMSTER_{loc}_SIS_URL": f"oracle+oracledb://psnavigator@db.{loc.lower()}:1521/PSPRODDB",
        f"TEAMSTER_{loc}_SIS_PASSWORD_FILE": f"/secrets/{loc.lower()}",
        f"TEAMSTER_{loc}_SIS_SSH_HOST": f"bastion.{loc.lower()}.example.org",
        f"TEAMSTER_{loc}_SIS_SSH_USER": "teamster",
        f"TEAMSTER_{loc}_SIS_SSH_KEY_FILE": "/secrets/ssh_key",
    }


def test_local_is_the_default_and_lives_in_the_data_dir(tmp_path):
    s = load_settings({"TEAMSTER_DATA_DIR": str(tmp_path)})
    assert s.environment == "local"
    assert s.warehouse.path == tmp_path / "warehouse.duckdb"
    assert s.landing.root == tmp_path / "landing"
    assert set(s.sis_databases) == {"kippnewark", "kippcamden", "kippmiami"}
    assert set(s.sis_sftp) == {"kipppaterson"}
    assert s.sis_databases["kippnewark"].ssh.host == "127.0.0.1"


def test_unknown_environment_is_an_error():
    with pytest.raises(SettingsError, match="unknown TEAMSTER_ENV 'staging'"):
        load_settings({"TEAMSTER_ENV": "staging"})


def test_prod_names_every_missing_setting():
    env = dict(PROD)
    del env["TEAMSTER_GCP_PROJECT"]
    del env["TEAMSTER_KIPPMIAMI_SIS_SSH_HOST"]
    with pytest.raises(SettingsError) as info:
        load_settings(env)
    assert "TEAMSTER_GCP_PROJECT" in str(info.value)
    assert "TEAMSTER_KIPPMIAMI_SIS_SSH_HOST" in str(info.value)


def test_prod_never_falls_back_to_local():
    s = load_settings(PROD)
    assert s.warehouse.kind == "bigquery" and s.warehouse.project == "teamster-prod"
    assert s.landing.kind == "gcs"
    assert s.dbt_target == "prod"
    assert s.sis_databases["kippcamden"].url.startswith("oracle+oracledb://")
    assert s.sis_databases["kippcamden"].ssh.private_key_file == Path("/secrets/ssh_key")


def test_bad_port_base_is_named():
    with pytest.raises(SettingsError, match="TEAMSTER_SANDBOX_PORT_BASE"):
        load_settings({"TEAMSTER_SANDBOX_PORT_BASE": "high"})


def test_local_ports_are_the_sandbox_layout(tmp_path):
    from sandbox.district import ports_from_base

    s = load_settings({"TEAMSTER_DATA_DIR": str(tmp_path), "TEAMSTER_SANDBOX_PORT_BASE": "50000"})
    ports = ports_from_base(50000)
    assert {db.ssh.port for db in s.sis_databases.values()} == {ports.bastion}
    assert s.sis_sftp["kipppaterson"].ssh.port == ports.sftp["kipppaterson"]
    assert s.enrollment.base_url == f"http://127.0.0.1:{ports.http['enrollment']}"
