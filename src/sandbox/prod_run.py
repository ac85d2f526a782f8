"""The ``prod`` environment, run here: the sandbox's servers stand in for the vendors,
the emulators (``cloud.py``) for BigQuery and GCS.

``prod_env`` turns the local settings of a running sandbox into the ``TEAMSTER_*``
variables a production deployment sets, with only the Google endpoints changed. The
code locations then run unchanged: Parquet to GCS, load jobs into BigQuery, dbt with
dbt-bigquery, AutoComm extracts read back from BigQuery and pushed over SFTP. They
run in a child process (``python -m sandbox.prod_run``), since a process's settings
are read once and the caller may already hold the local ones.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path

import yaml

import teamster
from sandbox.cloud import Emulators
from teamster.core.regions import (
    AUTOCOMM_REGIONS,
    LOCATIONS,
    NETWORK,
    REGIONS,
    SFTP_SIS_REGIONS,
    SQL_SIS_REGIONS,
)
from teamster.core.settings import Settings, SFTPDropSettings

BUCKET_PREFIX = "teamster-emulated"


def prod_env(local: Settings, cloud: Emulators) -> dict[str, str]:
    """Every ``prod`` variable, pointing at the sandbox and at the emulators."""
    assert local.data_dir is not None
    secrets = local.data_dir / "sandbox" / "secrets"
    env = {
        "TEAMSTER_ENV": "prod",
        **cloud.env(),
        "TEAMSTER_GCS_BUCKET_PREFIX": BUCKET_PREFIX,
        "TEAMSTER_KNOWN_HOSTS_FILE": str(local.data_dir / "sandbox" / "known_hosts"),
    }
    for loc in SQL_SIS_REGIONS:
        sis = local.sis_databases[loc]
        p = f"TEAMSTER_{loc.upper()}_SIS"
        env |= {
            f"{p}_URL": sis.url,
            f"{p}_PASSWORD_FILE": str(sis.password_file),
            f"{p}_SSH_HOST": sis.ssh.host,
            f"{p}_SSH_PORT": str(sis.ssh.port),
            f"{p}_SSH_USER": sis.ssh.username,
            f"{p}_SSH_KEY_FILE": str(sis.ssh.private_key_file),
        }

    def drop(prefix: str, settings: SFTPDropSettings) -> dict[str, str]:
        return {
            f"{prefix}_HOST": settings.ssh.host,
            f"{prefix}_PORT": str(settings.ssh.port),
            f"{prefix}_USER": settings.ssh.username,
            f"{prefix}_PASSWORD_FILE": str(settings.ssh.password_file),
            f"{prefix}_DIR": settings.remote_dir,
        }

    for loc in SFTP_SIS_REGIONS:
        env |= drop(f"TEAMSTER_{loc.upper()}_SIS_SFTP", local.sis_sftp[loc])
    for loc in AUTOCOMM_REGIONS:
        env |= drop(f"TEAMSTER_{loc.upper()}_AUTOCOMM_SFTP", local.autocomm[loc])
    for loc in REGIONS:
        iready = local.iready_sftp[loc]
        env[f"TEAMSTER_{loc.upper()}_IREADY_SFTP_USER"] = iready.ssh.username
        env[f"TEAMSTER_{loc.upper()}_IREADY_SFTP_PASSWORD_FILE"] = str(iready.ssh.password_file)
    iready = next(iter(local.iready_sftp.values()))
    adp = local.adp_sftp.ssh
    wfn = local.adp_workforce_now
    env |= {
        "TEAMSTER_IREADY_SFTP_HOST": iready.ssh.host,
        "TEAMSTER_IREADY_SFTP_PORT": str(iready.ssh.port),
        "TEAMSTER_IREADY_SFTP_DIR": iready.remote_dir,
        "TEAMSTER_ENROLLMENT_API_URL": local.enrollment.base_url,
        "TEAMSTER_ENROLLMENT_API_KEY_FILE": str(local.enrollment.api_key_file),
        "TEAMSTER_DEANSLIST_URL": local.deanslist.base_url,
        "TEAMSTER_DEANSLIST_KEYS_FILE": str(local.deanslist.keys_file),
        "TEAMSTER_ADP_SFTP_HOST": adp.host,
        "TEAMSTER_ADP_SFTP_PORT": str(adp.port),
        "TEAMSTER_ADP_SFTP_USER": adp.username,
        "TEAMSTER_ADP_SFTP_PASSWORD_FILE": str(adp.password_file),
        "TEAMSTER_ADP_SFTP_PAYROLL_DIR": local.adp_sftp.payroll_dir,
        "TEAMSTER_ADP_WFN_URL": wfn.base_url,
        "TEAMSTER_ADP_WFN_TOKEN_URL": wfn.token_url,
        "TEAMSTER_ADP_WFN_CLIENT_ID_FILE": str(wfn.client_id_file),
        "TEAMSTER_ADP_WFN_CLIENT_SECRET_FILE": str(wfn.client_secret_file),
        # the slice runs no ADP API call; the sandbox's stand-in takes no certificate
        "TEAMSTER_ADP_WFN_CERT_FILE": str(secrets / "adp_wfn_cert.pem"),
        "TEAMSTER_ADP_WFN_KEY_FILE": str(secrets / "adp_wfn_key.pem"),
        "TEAMSTER_GOOGLE_SHEETS_URL": local.google_sheets.base_url,
        "TEAMSTER_GOOGLE_SHEETS_CREDENTIALS_FILE": str(secrets / "google_service_account.json"),
        # no Tableau Server here: the slice refreshes no workbook
        "TEAMSTER_TABLEAU_URL": "http://127.0.0.1:9",
        "TEAMSTER_TABLEAU_SITE": "teamster",
        "TEAMSTER_TABLEAU_TOKEN_NAME": "teamster",
        "TEAMSTER_TABLEAU_TOKEN_FILE": str(secrets / "tableau_token"),
    }
    return env


def create_buckets(
    cloud: Emulators, locations: Iterable[str] = LOCATIONS, prefix: str = BUCKET_PREFIX
) -> None:
    """The landing buckets a deployment creates once (docs/deployment.md)."""
    from teamster.core.google import storage_client

    client = storage_client(cloud.project, cloud.gcs)
    for location in locations:
        if client.lookup_bucket(f"{prefix}-{location}") is None:
            client.create_bucket(f"{prefix}-{location}")


def run(
    env: dict[str, str],
    locations: Iterable[str],
    whole: Iterable[str] = (),
    targets: Iterable[str] = (),
    again: str | None = None,
    log: Path | None = None,
) -> dict:
    """Materialize, in a ``prod`` child process, every asset of the ``whole`` locations
    and the ``targets`` (``a/b/c`` keys), with every ancestor they have in
    ``locations``; then ``again``'s newest partition twice. Returns the child's report.
    A failure raises ``RuntimeError`` with the end of the child's output (all of it
    goes to ``log``)."""
    args = [sys.executable, "-m", "sandbox.prod_run", *locations]
    if again:
        args += ["--again", again]
    for location in whole:
        args += ["--whole", location]
    for key in targets:
        args += ["--target", key]
    started = time.monotonic()
    done = subprocess.run(args, env={**os.environ, **env}, capture_output=True, text=True)
    if log is not None:
        log.write_text(done.stdout + done.stderr)
    if done.returncode != 0:
        raise RuntimeError(f"prod run failed:\n{(done.stdout + done.stderr)[-6000:]}")
    report = json.loads(done.stdout.strip().splitlines()[-1])
    report["seconds"] = round(time.monotonic() - started, 1)
    return report


# the slice: Newark (a SQL region) and Paterson (the SFTP region) whole, every other
# region as far as kipptaf's students need it, and Newark's attendance replaced twice
LOCATIONS_IN_ORDER = (*REGIONS, NETWORK)
WHOLE = ("kippnewark", "kipppaterson")
TARGETS = ("kipptaf/dim_students",)
AGAIN = "kippnewark/powerschool/attendance"


def run_slice(local: Settings, cloud: Emulators, log: Path | None = None) -> dict:
    """Buckets, then the slice in a ``prod`` child; the child's report."""
    from teamster.libraries.dbt.resources import prepare

    for project in LOCATIONS:
        prepare(project)  # at image build time in production
    create_buckets(cloud)
    return run(
        prod_env(local, cloud),
        LOCATIONS_IN_ORDER,
        whole=WHOLE,
        targets=TARGETS,
        again=AGAIN,
        log=log,
    )


def compare(sandbox, cloud: Emulators, report: dict) -> dict[str, tuple[object, object]]:
    """What the slice left in BigQuery, GCS and the AutoComm inbox, each as
    ``(found, expected)`` from the sandbox's own records."""
    from teamster.core.google import bigquery_client, storage_client

    bq = bigquery_client(cloud.project, "US", cloud.bigquery)
    truth = sandbox.truth()

    def rows(sql: str) -> list[tuple]:
        return [tuple(r.values()) for r in bq.query(sql).result()]

    project = cloud.project
    found: dict[str, tuple[object, object]] = {}
    students = rows(
        f"select code_location, count(*) from `{project}.kipptaf.dim_students` group by 1"
    )
    found["kipptaf.dim_students per region"] = (dict(students), truth["students_by_region"])
    attendance = sandbox.sis_rows("kippnewark", "attendance")
    found["kippnewark attendance after each replace"] = (
        report["again"]["rows"],
        [attendance, attendance],
    )
    scratch = [
        f"{d.dataset_id}.{t.table_id}"
        for d in bq.list_datasets()
        for t in bq.list_tables(d)
        if "__load_" in t.table_id
    ]
    found["scratch tables left"] = (scratch, [])
    gcs = storage_client(cloud.project, cloud.gcs)
    for region in WHOLE:
        bucket = f"{BUCKET_PREFIX}-{region}"
        name = "powerschool/students/data.parquet"
        found[f"gs://{bucket}/{name}"] = (gcs.bucket(bucket).blob(name).exists(), True)
    inbox = sandbox.root / "sftp" / "autocomm" / "kippnewark"
    config = Path(teamster.__file__).parent / "code_locations/kippnewark/config/autocomm.yaml"
    for entry in yaml.safe_load(config.read_text())["files"]:
        model, file = entry["model"], entry["file"]
        pushed = (inbox / file).read_text().splitlines() if (inbox / file).exists() else []
        [(count,)] = rows(f"select count(*) from `{project}.kippnewark_extracts.{model}`")
        found[f"AutoComm {file} rows"] = (len(pushed) - 1, count)
    return found


def _main(argv: list[str]) -> None:
    """The child: materialize the named locations with ``prod`` settings."""
    import argparse
    import contextlib

    from dagster import AssetKey, DagsterInstance

    from teamster.core.locations import load_definitions, materialize_all
    from teamster.core.settings import current

    parser = argparse.ArgumentParser()
    parser.add_argument("locations", nargs="+")
    parser.add_argument("--whole", action="append", default=[])
    parser.add_argument("--target", action="append", default=[])
    parser.add_argument("--again", help="then replace this asset's newest partition twice")
    parsed = parser.parse_args(argv)
    assert current().environment == "prod"
    only = {AssetKey.from_user_string(k) for k in parsed.target}
    for location in parsed.whole:
        only |= set(load_definitions(location).resolve_asset_graph().materializable_asset_keys)
    with DagsterInstance.ephemeral() as instance, contextlib.redirect_stdout(sys.stderr):
        stages = materialize_all(instance, tuple(parsed.locations), quiet=True, only=only)
        report: dict = {
            "runs": len(stages),
            "assets": sorted({k.to_user_string() for s in stages for k in s.keys}),
        }
        if parsed.again:
            report["again"] = _replace_twice(AssetKey.from_user_string(parsed.again), instance)
    print(json.dumps(report))


def _replace_twice(key, instance) -> dict:
    """Materialize ``key``'s newest partition twice; the table's rows after each."""
    from teamster.core.locations import load_definitions
    from teamster.core.naming import relation_for_key
    from teamster.core.settings import current
    from teamster.core.warehouse import warehouse_for

    defs = load_definitions(key.path[0])
    job = defs.resolve_implicit_global_asset_job_def()
    partitions = defs.resolve_asset_graph().get(key).partitions_def
    partition = partitions.get_partition_keys(dynamic_partitions_store=instance)[-1]
    dataset, table = relation_for_key(key)
    warehouse = warehouse_for(current().warehouse)
    counts, landed = [], []
    for _ in range(2):
        result = job.execute_in_process(
            instance=instance, asset_selection=[key], partition_key=partition
        )
        [event] = result.get_asset_materialization_events()
        landed.append(event.materialization.metadata["dagster/row_count"].value)
        counts.append(warehouse.read(dataset, table).num_rows)
    return {"asset": key.to_user_string(), "partition": partition, "rows": counts, "landed": landed}


if __name__ == "__main__":
    _main(sys.argv[1:])
