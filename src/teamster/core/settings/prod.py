"""``prod``: BigQuery, GCS and the vendors' hosts, every value from an environment
variable (docs/environments.md lists them). Regions come from the registry, so each
region's variables are named after it: ``TEAMSTER_<REGION>_SIS_URL`` and the like. Every
missing variable is collected, and the error lists them all at once."""

from __future__ import annotations

from teamster.core.naming import check_bucket, check_project
from teamster.core.regions import (
    AUTOCOMM_REGIONS,
    LOCATIONS,
    REGIONS,
    SFTP_SIS_REGIONS,
    SQL_SIS_REGIONS,
)
from teamster.core.settings import SettingsError
from teamster.core.settings.models import Settings


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


def _port(env: dict[str, str], name: str) -> str:
    """An SSH port variable (22 when unset), checked here so a bad one is named by its
    variable rather than by a path inside the settings."""
    value = env.get(name, "22")
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise SettingsError(f"{name} must be a port number (1-65535), not {value!r}")
    return value


def _identifiers(project: str, bucket_prefix: str) -> None:
    """The project id and the buckets ``<prefix>-<location>`` go into BigQuery SQL and
    gs:// URIs: refuse a bad one here, named by its variable, before anything uses it."""
    try:
        check_project(project, "TEAMSTER_GCP_PROJECT")
        for location in LOCATIONS:
            where = f"TEAMSTER_GCS_BUCKET_PREFIX: {bucket_prefix!r} makes bucket"
            check_bucket(f"{bucket_prefix}-{location}", where)
    except ValueError as e:
        raise SettingsError(str(e)) from None


def build(env: dict[str, str]) -> Settings:
    need = _Required(env)
    known_hosts = need("TEAMSTER_KNOWN_HOSTS_FILE")
    sis = {}
    for loc in SQL_SIS_REGIONS:
        p = f"TEAMSTER_{loc.upper()}_SIS"
        sis[loc] = dict(
            url=need(f"{p}_URL"),
            password_file=need(f"{p}_PASSWORD_FILE"),
            ssh=dict(
                host=need(f"{p}_SSH_HOST"),
                port=_port(env, f"{p}_SSH_PORT"),
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
                port=_port(env, f"{prefix}_PORT"),
                username=need(f"{prefix}_USER"),
                known_hosts=known_hosts,
                password_file=need(f"{prefix}_PASSWORD_FILE"),
            ),
            remote_dir=env.get(f"{prefix}_DIR", "/"),
        )

    sftp = {loc: sftp_drop(f"TEAMSTER_{loc.upper()}_SIS_SFTP") for loc in SFTP_SIS_REGIONS}
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
    for loc in REGIONS:
        p = f"TEAMSTER_{loc.upper()}_IREADY_SFTP"
        iready[loc] = dict(
            ssh=dict(
                host=iready_host,
                port=_port(env, "TEAMSTER_IREADY_SFTP_PORT"),
                username=need(f"{p}_USER"),
                known_hosts=known_hosts,
                password_file=need(f"{p}_PASSWORD_FILE"),
            ),
            remote_dir=env.get("TEAMSTER_IREADY_SFTP_DIR", "/exports"),
        )
    adp_sftp = dict(
        ssh=dict(
            host=need("TEAMSTER_ADP_SFTP_HOST"),
            port=_port(env, "TEAMSTER_ADP_SFTP_PORT"),
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
    autocomm = {loc: sftp_drop(f"TEAMSTER_{loc.upper()}_AUTOCOMM_SFTP") for loc in AUTOCOMM_REGIONS}
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
    _identifiers(project, bucket_prefix)
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
