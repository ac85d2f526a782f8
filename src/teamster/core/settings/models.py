"""What each environment connects to: one model per system, and ``Settings`` holding them
all. The values come from ``local`` (the sandbox) or ``prod`` (environment variables).

The vendor systems' models are ``dagster.Config``: each client resource holds its
settings as config, so Dagster's UI shows what it connects to. Dagster config has no
path type, so their files are ``str`` paths; they name where a secret is, never the
secret itself. Warehouse and landing settings stay plain pydantic models.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from dagster import Config
from pydantic import BaseModel, field_validator

from teamster.core.naming import check_project


class SSHSettings(Config):
    host: str
    port: int
    username: str
    known_hosts: str
    private_key_file: str | None = None
    password_file: str | None = None


class SISDatabaseSettings(Config):
    """A SQLAlchemy URL without password; the host and port are as seen from the bastion.

    ``arraysize`` is how many rows an Oracle round trip brings and an Arrow batch holds:
    python-oracledb's ``fetch_df_batches`` sets the cursor's arraysize and prefetchrows to
    it, so one number trades round trips over the tunnel against memory per batch.
    PostgreSQL's driver sizes its own batches and ignores it.
    """

    url: str
    password_file: str
    ssh: SSHSettings
    arraysize: int = 100_000

    def model_post_init(self, context: object) -> None:
        # a ValueError here surfaces as pydantic's ValidationError naming the field
        if self.arraysize < 1:
            raise ValueError(f"arraysize must be a positive number of rows, not {self.arraysize}")


class SFTPDropSettings(Config):
    ssh: SSHSettings
    remote_dir: str


class EnrollmentAPISettings(Config):
    """PowerSchool Enrollment's API: basic auth with the API key as the user name and an
    empty password; the key comes from a file and is never shown."""

    base_url: str
    api_key_file: str


class DeansListSettings(Config):
    """DeansList's API: one key per DeansList school, from a JSON file
    ``{DeansList school id: key}``."""

    base_url: str
    keys_file: str


class ADPSFTPSettings(Config):
    """ADP's SFTP: payroll general-ledger files, one per pay date and payroll group."""

    ssh: SSHSettings
    payroll_dir: str = "/payroll"


class ADPWorkforceNowSettings(Config):
    """ADP Workforce Now's API: an OAuth client (id and secret from files) and, where the
    service asks for one (prod), a client certificate and its key."""

    base_url: str
    token_url: str
    client_id_file: str
    client_secret_file: str
    cert_file: str | None = None
    key_file: str | None = None


class GoogleSheetsSettings(Config):
    """Google Sheets' CSV export; with a service-account key file in prod, none locally."""

    base_url: str
    credentials_file: str | None = None


class LocalTableauSettings(Config):
    """Where ``local`` publishes workbook extracts (Tableau Server cannot run here)."""

    kind: Literal["local"] = "local"
    root: str


class TableauServerSettings(Config):
    """Tableau Server's REST API, signed in with a personal access token from a file."""

    kind: Literal["server"] = "server"
    base_url: str
    site: str
    token_name: str
    token_file: str
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

    @field_validator("project")
    @classmethod
    def _project(cls, value: str) -> str:
        # spliced into SQL (`project.dataset.table`): only a well-formed id
        return check_project(value, "project")


class LocalLandingSettings(BaseModel):
    kind: Literal["local"] = "local"
    root: Path


class GCSLandingSettings(BaseModel):
    """GCS buckets ``<prefix>-<location>``; ``endpoint`` as for BigQuery."""

    kind: Literal["gcs"] = "gcs"
    project: str
    bucket_prefix: str
    endpoint: str | None = None

    @field_validator("project")
    @classmethod
    def _project(cls, value: str) -> str:
        return check_project(value, "project")


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
