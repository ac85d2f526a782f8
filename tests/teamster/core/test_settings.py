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
    "TEAMSTER_ENROLLMENT_API_KEY_FILE": "/secrets/enrollment_api_key",
}
for loc in ("KIPPNEWARK", "KIPPCAMDEN", "KIPPMIAMI"):
    PROD |= {
        f"TEAMSTER_{loc}_SIS_URL": f"oracle+oracledb://psnavigator@db.{loc.lower()}:1521/PSPRODDB",
        f"TEAMSTER_{loc}_SIS_PASSWORD_FILE": f"/secrets/{loc.lower()}",
        f"TEAMSTER_{loc}_SIS_SSH_HOST": f"bastion.{loc.lower()}.example.org",
        f"TEAMSTER_{loc}_SIS_SSH_USER": "teamster",
        f"TEAMSTER_{loc}_SIS_SSH_KEY_FILE": "/secrets/ssh_key",
    }
PROD |= {
    "TEAMSTER_DEANSLIST_URL": "https://kippnj.deanslistsoftware.com",
    "TEAMSTER_DEANSLIST_KEYS_FILE": "/secrets/deanslist_keys.json",
    "TEAMSTER_IREADY_SFTP_HOST": "prod-sftp-1.cainc.com",
}
for loc in ("KIPPNEWARK", "KIPPCAMDEN", "KIPPMIAMI", "KIPPPATERSON"):
    PROD |= {
        f"TEAMSTER_{loc}_IREADY_SFTP_USER": loc.lower(),
        f"TEAMSTER_{loc}_IREADY_SFTP_PASSWORD_FILE": f"/secrets/iready_{loc.lower()}",
    }
PROD |= {
    "TEAMSTER_ADP_SFTP_HOST": "sftp.adp.example.org",
    "TEAMSTER_ADP_SFTP_USER": "kipptaf",
    "TEAMSTER_ADP_SFTP_PASSWORD_FILE": "/secrets/adp",
    "TEAMSTER_ADP_WFN_CLIENT_ID_FILE": "/secrets/adp_wfn_client_id",
    "TEAMSTER_ADP_WFN_CLIENT_SECRET_FILE": "/secrets/adp_wfn_client_secret",
    "TEAMSTER_ADP_WFN_CERT_FILE": "/secrets/adp_wfn.pem",
    "TEAMSTER_ADP_WFN_KEY_FILE": "/secrets/adp_wfn.key",
    "TEAMSTER_GOOGLE_SHEETS_CREDENTIALS_FILE": "/secrets/google_service_account.json",
}
PROD |= {
    "TEAMSTER_TABLEAU_URL": "https://tableau.example.org",
    "TEAMSTER_TABLEAU_SITE": "kipptaf",
    "TEAMSTER_TABLEAU_TOKEN_NAME": "teamster",
    "TEAMSTER_TABLEAU_TOKEN_FILE": "/secrets/tableau_token",
}
for loc in ("KIPPNEWARK", "KIPPCAMDEN", "KIPPMIAMI"):
    PROD |= {
        f"TEAMSTER_{loc}_AUTOCOMM_SFTP_HOST": f"sftp.{loc.lower()}.powerschool.example.org",
        f"TEAMSTER_{loc}_AUTOCOMM_SFTP_USER": "autocomm",
        f"TEAMSTER_{loc}_AUTOCOMM_SFTP_PASSWORD_FILE": f"/secrets/autocomm_{loc.lower()}",
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
    assert s.sis_databases["kippcamden"].ssh.private_key_file == "/secrets/ssh_key"
    assert s.deanslist.keys_file == "/secrets/deanslist_keys.json"
    assert s.iready_sftp["kipppaterson"].ssh.username == "kipppaterson"
    assert s.iready_sftp["kipppaterson"].remote_dir == "/exports"


def test_prod_names_missing_deanslist_and_iready_settings():
    env = {k: v for k, v in PROD.items() if "DEANSLIST_KEYS" not in k and "MIAMI_IREADY" not in k}
    with pytest.raises(SettingsError) as info:
        load_settings(env)
    assert "TEAMSTER_DEANSLIST_KEYS_FILE" in str(info.value)
    assert "TEAMSTER_KIPPMIAMI_IREADY_SFTP_USER" in str(info.value)


@pytest.mark.parametrize(
    "name, value",
    [
        ("TEAMSTER_KIPPNEWARK_SIS_SSH_PORT", "twenty-two"),
        ("TEAMSTER_KIPPPATERSON_SIS_SFTP_PORT", "70000"),
        ("TEAMSTER_IREADY_SFTP_PORT", "0"),
        ("TEAMSTER_ADP_SFTP_PORT", "-1"),
    ],
)
def test_a_bad_prod_port_is_named_by_its_variable(name, value):
    with pytest.raises(SettingsError) as info:
        load_settings({**PROD, name: value})
    assert str(info.value) == f"{name} must be a port number (1-65535), not {value!r}"


def test_bad_port_base_is_named():
    with pytest.raises(SettingsError, match="TEAMSTER_SANDBOX_PORT_BASE"):
        load_settings({"TEAMSTER_SANDBOX_PORT_BASE": "high"})


def test_local_ports_are_the_sandbox_layout(tmp_path):
    from teamster.core.settings.local import sandbox_ports

    s = load_settings({"TEAMSTER_DATA_DIR": str(tmp_path), "TEAMSTER_SANDBOX_PORT_BASE": "50000"})
    ports = sandbox_ports(50000)
    assert {db.ssh.port for db in s.sis_databases.values()} == {ports.bastion}
    assert s.sis_sftp["kipppaterson"].ssh.port == ports.sftp["kipppaterson"]
    assert s.enrollment.base_url == f"http://127.0.0.1:{ports.http['enrollment']}"
    assert s.deanslist.base_url == f"http://127.0.0.1:{ports.http['deanslist']}"
    assert {f.ssh.port for f in s.iready_sftp.values()} == {ports.sftp["iready"]}
    assert s.adp_sftp.ssh.port == ports.sftp["adp"]
    assert s.adp_workforce_now.base_url == f"http://127.0.0.1:{ports.http['adp_workforce_now']}"
    assert s.google_sheets.base_url == f"http://127.0.0.1:{ports.http['sheets']}"


def test_prod_adp_and_google_sheets():
    """Defaults fill the folders and the public export host; the secrets are required."""
    s = load_settings(PROD)
    assert s.adp_sftp.ssh.port == 22 and s.adp_sftp.payroll_dir == "/payroll"
    assert s.adp_sftp.ssh.password_file == "/secrets/adp"
    assert s.adp_workforce_now.base_url == "https://api.adp.com"
    assert s.adp_workforce_now.token_url == "https://accounts.adp.com/auth/oauth/v2/token"
    assert s.adp_workforce_now.cert_file == "/secrets/adp_wfn.pem"
    assert s.google_sheets.base_url == "https://docs.google.com"
    dropped = (
        "TEAMSTER_ADP_SFTP_HOST",
        "TEAMSTER_ADP_WFN_KEY_FILE",
        "TEAMSTER_GOOGLE_SHEETS_CREDENTIALS_FILE",
    )
    env = {k: v for k, v in PROD.items() if k not in dropped}
    with pytest.raises(SettingsError) as info:
        load_settings(env)
    assert "TEAMSTER_ADP_SFTP_HOST" in str(info.value)
    assert "TEAMSTER_ADP_WFN_KEY_FILE" in str(info.value)
    assert "TEAMSTER_GOOGLE_SHEETS_CREDENTIALS_FILE" in str(info.value)


def test_load_config_names_the_file_and_section(tmp_path):
    from pydantic import BaseModel

    from teamster.core.config import load_config

    class Folder(BaseModel):
        path: str

    good = tmp_path / "good.yaml"
    good.write_text("sftp:\n  path: /exports\n")
    assert load_config(good, Folder, "sftp").path == "/exports"
    with pytest.raises(
        SettingsError, match=r"good\.yaml: no top-level `http:` \(found \['sftp'\]\)"
    ):
        load_config(good, Folder, "http")
    bad = tmp_path / "bad.yaml"
    bad.write_text("pathh: /exports\n")
    missing = r"(?s)bad\.yaml: invalid config: .*path\n  Field required"
    with pytest.raises(SettingsError, match=missing):
        load_config(bad, Folder)


def test_a_broken_or_empty_config_file_is_named_with_its_line(tmp_path):
    """YAML's own errors name the file (not ``<unicode string>``), and an empty file is
    said to be empty rather than failing on ``None``."""
    from pydantic import BaseModel

    from teamster.core.config import load_config

    class Folder(BaseModel):
        path: str

    broken = tmp_path / "broken.yaml"
    broken.write_text("sftp:\n  path: /exports\n  extra: [unclosed\n")
    with pytest.raises(SettingsError) as info:
        load_config(broken, Folder, "sftp")
    message = str(info.value)
    assert message.startswith(f"{broken}: not valid YAML")
    assert f'in "{broken}", line' in message and "<unicode string>" not in message
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    with pytest.raises(
        SettingsError,
        match=r"empty\.yaml: expected a mapping with a top-level `sftp:`, found an empty file",
    ):
        load_config(empty, Folder, "sftp")
    listed = tmp_path / "listed.yaml"
    listed.write_text("sftp: [/exports]\n")
    with pytest.raises(SettingsError, match=r"listed\.yaml: the `sftp` section must be a mapping"):
        load_config(listed, Folder, "sftp")


@pytest.mark.parametrize(
    "value",
    [
        "Teamster-Prod",
        "tmstr",
        "1teamster",
        "teamster-",
        "teamster prod",
        "../teamster",
        "teamster`x",
        "teamster'x",
        "teamster\n",
        "t" * 31,
    ],
)
def test_a_bad_gcp_project_id_is_refused_naming_the_variable(value):
    with pytest.raises(SettingsError) as info:
        load_settings({**PROD, "TEAMSTER_GCP_PROJECT": value})
    message = str(info.value)
    assert message.startswith(f"TEAMSTER_GCP_PROJECT: {value!r} is not a Google Cloud project"), (
        message
    )


@pytest.mark.parametrize(
    "value",
    [
        "Teamster",
        "../teamster",
        "gs://teamster",
        "team ster",
        "team/ster",
        "-teamster",
        "teamster.",
        "t" * 60,
    ],
)
def test_a_bad_bucket_prefix_is_refused_naming_the_variable(value):
    with pytest.raises(SettingsError) as info:
        load_settings({**PROD, "TEAMSTER_GCS_BUCKET_PREFIX": value})
    assert str(info.value).startswith("TEAMSTER_GCS_BUCKET_PREFIX: "), str(info.value)
    assert repr(value) in str(info.value)


def test_the_prod_and_emulator_names_pass():
    settings = load_settings(PROD)
    assert settings.warehouse.project == "teamster-prod"
    emulated = load_settings(
        {
            **PROD,
            "TEAMSTER_GCP_PROJECT": "teamster-emulated",
            "TEAMSTER_GCS_BUCKET_PREFIX": "teamster-emulated",
        }
    )
    assert emulated.landing.bucket_prefix == "teamster-emulated"


def test_the_settings_models_refuse_a_bad_project_too():
    """Built without ``prod.build`` (a test, a tool), the model still checks the id."""
    from pydantic import ValidationError

    from teamster.core.settings import BigQuerySettings

    with pytest.raises(ValidationError, match="'a.b/../c' is not a Google Cloud project id"):
        BigQuerySettings(project="a.b/../c", location="US")
