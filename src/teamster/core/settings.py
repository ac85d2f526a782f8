"""Environments: one variable (``TEAMSTER_ENV``) picks an explicit map of settings.

``local`` (the default) is the embedded product: a DuckDB file and a landing folder
under the data dir, and the district sandbox on 127.0.0.1. ``prod`` is BigQuery, GCS
and the vendors' hosts, every value from an environment variable. An unknown
environment or a missing setting raises ``SettingsError`` when a code location loads.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Literal, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

ENVIRONMENTS = ("local", "prod")
LOCATIONS = ("kipptaf", "kippnewark", "kippcamden", "kippmiami", "kipppaterson")
SQL_SIS_LOCATIONS = ("kippnewark", "kippcamden", "kippmiami")
SFTP_SIS_LOCATIONS = ("kipppaterson",)
# Regions whose schools use DeansList and i-Ready (one i-Ready SFTP user each).
REGIONAL_LOCATIONS = ("kippnewark", "kippcamden", "kippmiami", "kipppaterson")

DEFAULT_DATA_DIR = ".teamster"
DEFAULT_SANDBOX_PORT_BASE = 42200
# Offsets from the sandbox port base; the sandbox is started with the same numbers.
BASTION_PORT_OFFSET = 0
SFTP_PORT_OFFSETS = {"kipppaterson": 1}
ENROLLMENT_PORT_OFFSET = 7
# Each SQL region's PowerSchool AutoComm inbox, where teamster pushes extract files.
AUTOCOMM_PORT_OFFSETS = {"kippnewark": 4, "kippcamden": 5, "kippmiami": 6}
IREADY_SFTP_PORT_OFFSET = 2
DEANSLIST_PORT_OFFSET = 8
ADP_SFTP_PORT_OFFSET = 3
GOOGLE_SHEETS_PORT_OFFSET = 9
ADP_WORKFORCE_NOW_PORT_OFFSET = 10


class SettingsError(RuntimeError):
    """A setting is missing or wrong; the message names it."""


ConfigModel = TypeVar("ConfigModel", bound=BaseModel)


def load_config(path: Path, model: type[ConfigModel], section: str | None = None) -> ConfigModel:
    """A code location's YAML config (or one top-level section of it) as ``model``; any
    error names the file and section."""
    what = f"`{section}` section" if section else "config"
    try:
        data = yaml.safe_load(path.read_text())
        return model.model_validate(data[section] if section else data)
    except (KeyError, TypeError, ValidationError) as e:
        raise SettingsError(f"{path}: invalid {what}: {e}") from None


class SSHSettings(BaseModel):
    host: str
    port: int
    username: str
    known_hosts: Path
    private_key_file: Path | None = None
    password_file: Path | None = None


class SISDatabaseSettings(BaseModel):
    """A SQLAlchemy URL without password; the host and port are as seen from the bastion.

    ``arraysize`` is how many rows an Oracle round trip brings and an Arrow batch holds:
    python-oracledb's ``fetch_df_batches`` sets the cursor's arraysize and prefetchrows to
    it, so one number trades round trips over the tunnel against memory per batch.
    PostgreSQL's driver sizes its own batches and ignores it.
    """

    url: str
    password_file: Path
    ssh: SSHSettings
    arraysize: int = 100_000

    def model_post_init(self, context: object) -> None:
        # a ValueError here surfaces as pydantic's ValidationError naming the field
        if self.arraysize < 1:
            raise ValueError(f"arraysize must be a positive number of rows, not {self.arraysize}")


class SFTPDropSettings(BaseModel):
    ssh: SSHSettings
    remote_dir: str


class EnrollmentAPISettings(BaseModel):
    """PowerSchool Enrollment's API: basic auth with the API key as the user name and an
    empty password; the key comes from a file and is never shown."""

    base_url: str
    api_key_file: Path


class DeansListSettings(BaseModel):
    """DeansList's API: one key per DeansList school, from a JSON file
    ``{DeansList school id: key}``."""

    base_url: str
    keys_file: Path


class ADPSFTPSettings(BaseModel):
    """ADP's SFTP: payroll general-ledger files, one per pay date and payroll group."""

    ssh: SSHSettings
    payroll_dir: str = "/payroll"


class ADPWorkforceNowSettings(BaseModel):
    """ADP Workforce Now's API: an OAuth client (id and secret from files) and, where the
    service asks for one (prod), a client certificate and its key."""

    base_url: str
    token_url: str
    client_id_file: Path
    client_secret_file: Path
    cert_file: Path | None = None
    key_file: Path | None = None


class GoogleSheetsSettings(BaseModel):
    """Google Sheets' CSV export; with a service-account key file in prod, none locally."""

    base_url: str
    credentials_file: Path | None = None


class LocalTableauSettings(BaseModel):
    """Where ``local`` publishes workbook extracts (Tableau Server cannot run here)."""

    kind: Literal["local"] = "local"
    root: Path


class TableauServerSettings(BaseModel):
    """Tableau Server's REST API, signed in with a personal access token from a file."""

    kind: Literal["server"] = "server"
    base_url: str
    site: str
    token_name: str
    token_file: Path
    api_version: str = "3.22"


class DuckDBSettings(BaseModel):
    kind: Literal["duckdb"] = "duckdb"
    path: Path


class BigQuerySettings(BaseModel):
    """BigQuery with Google's default credentials; with ``api_endpoint`` (an emulator on
    127.0.0.1, for tests) anonymous ones, since an emulator checks none."""

    kind: Literal["bigquery"] = "bigquery"
    project: str
    location: str
    api_endpoint: str | None = None


class LocalLandingSettings(BaseModel):
    kind: Literal["local"] = "local"
    root: Path


class GCSLandingSettings(BaseModel):
    """GCS buckets ``<prefix>-<location>``; ``endpoint`` as for BigQuery."""

    kind: Literal["gcs"] = "gcs"
    project: str
    bucket_prefix: str
    endpoint: str | None = None


class Settings(BaseModel):
    environment: str
    warehouse: DuckDBSettings | BigQuerySettings
    landing: LocalLandingSettings | GCSLandingSettings
    dbt_target: str
    sis_databases: dict[str, SISDatabaseSettings]
    sis_sftp: dict[str, SFTPDropSettings]
    enrollment: EnrollmentAPISettings
    deanslist: DeansListSettings
    iready_sftp: dict[str, SFTPDropSettings]  # one SFTP user per region
    adp_sftp: ADPSFTPSettings
    adp_workforce_now: ADPWorkforceNowSettings
    google_sheets: GoogleSheetsSettings
    autocomm: dict[str, SFTPDropSettings]
    tableau: LocalTableauSettings | TableauServerSettings
    data_dir: Path | None = None
    sandbox_port_base: int | None = None


def _local(env: dict[str, str]) -> Settings:
    data_dir = Path(env.get("TEAMSTER_DATA_DIR", DEFAULT_DATA_DIR)).resolve()
    try:
        base = int(env.get("TEAMSTER_SANDBOX_PORT_BASE", DEFAULT_SANDBOX_PORT_BASE))
    except ValueError as e:
        raise SettingsError("TEAMSTER_SANDBOX_PORT_BASE must be an integer") from e
    sandbox = data_dir / "sandbox"
    known_hosts = sandbox / "known_hosts"
    bastion = SSHSettings(
        host="127.0.0.1",
        port=base + BASTION_PORT_OFFSET,
        username="teamster",
        known_hosts=known_hosts,
        private_key_file=sandbox / "secrets" / "ssh_client_key",
    )
    return Settings(
        environment="local",
        data_dir=data_dir,
        sandbox_port_base=base,
        warehouse=DuckDBSettings(path=data_dir / "warehouse.duckdb"),
        landing=LocalLandingSettings(root=data_dir / "landing"),
        dbt_target="local",
        sis_databases={
            loc: SISDatabaseSettings(
                url=f"postgresql://psnavigator@sis.{loc}.sandbox:5432/powerschool",
                password_file=sandbox / "secrets" / f"{loc}_sis_password",
                ssh=bastion,
            )
            for loc in SQL_SIS_LOCATIONS
        },
        sis_sftp={
            loc: SFTPDropSettings(
                ssh=SSHSettings(
                    host="127.0.0.1",
                    port=base + offset,
                    username="teamster",
                    known_hosts=known_hosts,
                    password_file=sandbox / "secrets" / f"{loc}_sftp_password",
                ),
                remote_dir="/exports",
            )
            for loc, offset in SFTP_PORT_OFFSETS.items()
        },
        enrollment=EnrollmentAPISettings(
            base_url=f"http://127.0.0.1:{base + ENROLLMENT_PORT_OFFSET}",
            api_key_file=sandbox / "secrets" / "enrollment_api_key",
        ),
        deanslist=DeansListSettings(
            base_url=f"http://127.0.0.1:{base + DEANSLIST_PORT_OFFSET}",
            keys_file=sandbox / "secrets" / "deanslist_keys.json",
        ),
        iready_sftp={
            loc: SFTPDropSettings(
                ssh=SSHSettings(
                    host="127.0.0.1",
                    port=base + IREADY_SFTP_PORT_OFFSET,
                    username=loc,
                    known_hosts=known_hosts,
                    password_file=sandbox / "secrets" / f"iready_{loc}_password",
                ),
                remote_dir="/exports",
            )
            for loc in REGIONAL_LOCATIONS
        },
        adp_sftp=ADPSFTPSettings(
            ssh=SSHSettings(
                host="127.0.0.1",
                port=base + ADP_SFTP_PORT_OFFSET,
                username="teamster",
                known_hosts=known_hosts,
                password_file=sandbox / "secrets" / "adp_sftp_password",
            ),
        ),
        adp_workforce_now=ADPWorkforceNowSettings(
            base_url=f"http://127.0.0.1:{base + ADP_WORKFORCE_NOW_PORT_OFFSET}",
            # the real token service is another host (accounts.adp.com), same path
            token_url=f"http://127.0.0.1:{base + ADP_WORKFORCE_NOW_PORT_OFFSET}"
            "/auth/oauth/v2/token",
            client_id_file=sandbox / "secrets" / "adp_wfn_client_id",
            client_secret_file=sandbox / "secrets" / "adp_wfn_client_secret",
        ),
        google_sheets=GoogleSheetsSettings(
            base_url=f"http://127.0.0.1:{base + GOOGLE_SHEETS_PORT_OFFSET}",
        ),
        autocomm={
            loc: SFTPDropSettings(
                ssh=SSHSettings(
                    host="127.0.0.1",
                    port=base + offset,
                    username="teamster",
                    known_hosts=known_hosts,
                    password_file=sandbox / "secrets" / f"autocomm_{loc}_password",
                ),
                remote_dir="/",
            )
            for loc, offset in AUTOCOMM_PORT_OFFSETS.items()
        },
        tableau=LocalTableauSettings(root=data_dir / "tableau"),
    )


class _Required:
    """Collects every missing variable so the error lists them all at once."""

    def __init__(self, env: dict[str, str]):
        self.env = env
        self.missing: list[str] = []

    def __call__(self, name: str) -> str:
        value = self.env.get(name, "")
        if not value:
            self.missing.append(name)
        return value


def _prod(env: dict[str, str]) -> Settings:
    need = _Required(env)
    known_hosts = need("TEAMSTER_KNOWN_HOSTS_FILE")
    sis = {}
    for loc in SQL_SIS_LOCATIONS:
        p = f"TEAMSTER_{loc.upper()}_SIS"
        sis[loc] = dict(
            url=need(f"{p}_URL"),
            password_file=need(f"{p}_PASSWORD_FILE"),
            ssh=dict(
                host=need(f"{p}_SSH_HOST"),
                port=env.get(f"{p}_SSH_PORT", "22"),
                username=need(f"{p}_SSH_USER"),
                known_hosts=known_hosts,
                private_key_file=need(f"{p}_SSH_KEY_FILE"),
            ),
        )
        if arraysize := env.get(f"{p}_ARRAYSIZE"):
            if not arraysize.isdigit() or int(arraysize) < 1:
                raise SettingsError(f"{p}_ARRAYSIZE must be a positive integer, not {arraysize!r}")
            sis[loc]["arraysize"] = arraysize

    def sftp_drop(prefix: str) -> dict:
        """An SFTP folder with password login: ``<prefix>_HOST``, ``_PORT``, ``_USER``,
        ``_PASSWORD_FILE``, ``_DIR``."""
        return dict(
            ssh=dict(
                host=need(f"{prefix}_HOST"),
                port=env.get(f"{prefix}_PORT", "22"),
                username=need(f"{prefix}_USER"),
                known_hosts=known_hosts,
                password_file=need(f"{prefix}_PASSWORD_FILE"),
            ),
            remote_dir=env.get(f"{prefix}_DIR", "/"),
        )

    sftp = {loc: sftp_drop(f"TEAMSTER_{loc.upper()}_SIS_SFTP") for loc in SFTP_SIS_LOCATIONS}
    enrollment = dict(
        base_url=need("TEAMSTER_ENROLLMENT_API_URL"),
        api_key_file=need("TEAMSTER_ENROLLMENT_API_KEY_FILE"),
    )
    deanslist = dict(
        base_url=need("TEAMSTER_DEANSLIST_URL"),
        keys_file=need("TEAMSTER_DEANSLIST_KEYS_FILE"),
    )
    iready_host = need("TEAMSTER_IREADY_SFTP_HOST")
    iready = {}
    for loc in REGIONAL_LOCATIONS:
        p = f"TEAMSTER_{loc.upper()}_IREADY_SFTP"
        iready[loc] = dict(
            ssh=dict(
                host=iready_host,
                port=env.get("TEAMSTER_IREADY_SFTP_PORT", "22"),
                username=need(f"{p}_USER"),
                known_hosts=known_hosts,
                password_file=need(f"{p}_PASSWORD_FILE"),
            ),
            remote_dir=env.get("TEAMSTER_IREADY_SFTP_DIR", "/exports"),
        )
    adp_sftp = dict(
        ssh=dict(
            host=need("TEAMSTER_ADP_SFTP_HOST"),
            port=env.get("TEAMSTER_ADP_SFTP_PORT", "22"),
            username=need("TEAMSTER_ADP_SFTP_USER"),
            known_hosts=known_hosts,
            password_file=need("TEAMSTER_ADP_SFTP_PASSWORD_FILE"),
        ),
        payroll_dir=env.get("TEAMSTER_ADP_SFTP_PAYROLL_DIR", "/payroll"),
    )
    adp_workforce_now = dict(
        base_url=env.get("TEAMSTER_ADP_WFN_URL", "https://api.adp.com"),
        token_url=env.get(
            "TEAMSTER_ADP_WFN_TOKEN_URL", "https://accounts.adp.com/auth/oauth/v2/token"
        ),
        client_id_file=need("TEAMSTER_ADP_WFN_CLIENT_ID_FILE"),
        client_secret_file=need("TEAMSTER_ADP_WFN_CLIENT_SECRET_FILE"),
        cert_file=need("TEAMSTER_ADP_WFN_CERT_FILE"),
        key_file=need("TEAMSTER_ADP_WFN_KEY_FILE"),
    )
    google_sheets = dict(
        base_url=env.get("TEAMSTER_GOOGLE_SHEETS_URL", "https://docs.google.com"),
        credentials_file=need("TEAMSTER_GOOGLE_SHEETS_CREDENTIALS_FILE"),
    )
    autocomm = {
        loc: sftp_drop(f"TEAMSTER_{loc.upper()}_AUTOCOMM_SFTP") for loc in AUTOCOMM_PORT_OFFSETS
    }
    tableau = dict(
        kind="server",
        base_url=need("TEAMSTER_TABLEAU_URL"),
        site=need("TEAMSTER_TABLEAU_SITE"),
        token_name=need("TEAMSTER_TABLEAU_TOKEN_NAME"),
        token_file=need("TEAMSTER_TABLEAU_TOKEN_FILE"),
    )
    project = need("TEAMSTER_GCP_PROJECT")
    bucket_prefix = need("TEAMSTER_GCS_BUCKET_PREFIX")
    if need.missing:
        raise SettingsError("environment 'prod' is missing settings: " + ", ".join(need.missing))
    return Settings.model_validate(
        dict(
            environment="prod",
            warehouse=dict(
                kind="bigquery",
                project=project,
                location=env.get("TEAMSTER_BIGQUERY_LOCATION", "US"),
                api_endpoint=env.get("TEAMSTER_BIGQUERY_API_ENDPOINT") or None,
            ),
            landing=dict(
                kind="gcs",
                project=project,
                bucket_prefix=bucket_prefix,
                endpoint=env.get("TEAMSTER_GCS_API_ENDPOINT") or None,
            ),
            dbt_target="prod",
            sis_databases=sis,
            sis_sftp=sftp,
            enrollment=enrollment,
            deanslist=deanslist,
            iready_sftp=iready,
            adp_sftp=adp_sftp,
            adp_workforce_now=adp_workforce_now,
            google_sheets=google_sheets,
            autocomm=autocomm,
            tableau=tableau,
        )
    )


_BUILDERS = {"local": _local, "prod": _prod}


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Settings for ``TEAMSTER_ENV``; raises ``SettingsError`` rather than guessing."""
    env = dict(os.environ if env is None else env)
    name = env.get("TEAMSTER_ENV", "local")
    builder = _BUILDERS.get(name)
    if builder is None:
        raise SettingsError(f"unknown TEAMSTER_ENV {name!r}; expected one of {ENVIRONMENTS}")
    return builder(env)


@functools.cache
def current() -> Settings:
    """The process's settings, read once so every code location shares them."""
    return load_settings()
