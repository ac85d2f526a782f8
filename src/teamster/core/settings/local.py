"""``local``: the embedded product. A DuckDB file and a landing folder under the data dir,
and every vendor system served by the district sandbox on 127.0.0.1.

The sandbox's ports are one layout from a base port (``sandbox_ports``); the sandbox
starts its servers on the same layout, so neither side keeps a list of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from teamster.core.regions import AUTOCOMM_REGIONS, REGIONS, SFTP_SIS_REGIONS, SQL_SIS_REGIONS
from teamster.core.settings import SettingsError
from teamster.core.settings.models import (
    ADPSFTPSettings,
    ADPWorkforceNowSettings,
    DeansListSettings,
    DuckDBSettings,
    EnrollmentAPISettings,
    GoogleSheetsSettings,
    LocalLandingSettings,
    LocalTableauSettings,
    Settings,
    SFTPDropSettings,
    SISDatabaseSettings,
    SSHSettings,
)

DEFAULT_DATA_DIR = ".teamster"
DEFAULT_SANDBOX_PORT_BASE = 42200
SSH_USER = "teamster"
# The sandbox's SFTP servers: each SFTP-SIS region's export, i-Ready (one user per
# region), ADP payroll, and each AutoComm region's inbox; then its HTTP systems.
SFTP_SERVERS = (*SFTP_SIS_REGIONS, "iready", "adp", *(f"autocomm_{r}" for r in AUTOCOMM_REGIONS))
HTTP_SYSTEMS = ("enrollment", "deanslist", "sheets", "adp_workforce_now")


@dataclass(frozen=True)
class SandboxPorts:
    bastion: int
    sftp: dict[str, int]
    http: dict[str, int]


def sandbox_ports(base: int) -> SandboxPorts:
    """The bastion at ``base``, then each SFTP server, then each HTTP system."""
    sftp = {name: base + 1 + i for i, name in enumerate(SFTP_SERVERS)}
    http = {name: base + 1 + len(SFTP_SERVERS) + i for i, name in enumerate(HTTP_SYSTEMS)}
    return SandboxPorts(bastion=base, sftp=sftp, http=http)


def build(env: dict[str, str]) -> Settings:
    data_dir = Path(env.get("TEAMSTER_DATA_DIR", DEFAULT_DATA_DIR)).resolve()
    try:
        base = int(env.get("TEAMSTER_SANDBOX_PORT_BASE", DEFAULT_SANDBOX_PORT_BASE))
    except ValueError as e:
        raise SettingsError("TEAMSTER_SANDBOX_PORT_BASE must be an integer") from e
    ports = sandbox_ports(base)
    secrets = data_dir / "sandbox" / "secrets"
    known_hosts = data_dir / "sandbox" / "known_hosts"

    def sftp(server: str, password: str, username: str = SSH_USER, folder: str = "/") -> dict:
        """A sandbox SFTP folder with password login."""
        return dict(
            ssh=SSHSettings(
                host="127.0.0.1",
                port=ports.sftp[server],
                username=username,
                known_hosts=str(known_hosts),
                password_file=str(secrets / password),
            ),
            remote_dir=folder,
        )

    def http(system: str) -> str:
        return f"http://127.0.0.1:{ports.http[system]}"

    bastion = SSHSettings(
        host="127.0.0.1",
        port=ports.bastion,
        username=SSH_USER,
        known_hosts=str(known_hosts),
        private_key_file=str(secrets / "ssh_client_key"),
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
                password_file=str(secrets / f"{loc}_sis_password"),
                ssh=bastion,
            )
            for loc in SQL_SIS_REGIONS
        },
        sis_sftp={
            loc: SFTPDropSettings(**sftp(loc, f"{loc}_sftp_password", folder="/exports"))
            for loc in SFTP_SIS_REGIONS
        },
        enrollment=EnrollmentAPISettings(
            base_url=http("enrollment"), api_key_file=str(secrets / "enrollment_api_key")
        ),
        deanslist=DeansListSettings(
            base_url=http("deanslist"), keys_file=str(secrets / "deanslist_keys.json")
        ),
        iready_sftp={
            loc: SFTPDropSettings(
                **sftp("iready", f"iready_{loc}_password", username=loc, folder="/exports")
            )
            for loc in REGIONS
        },
        adp_sftp=ADPSFTPSettings(ssh=sftp("adp", "adp_sftp_password")["ssh"]),
        adp_workforce_now=ADPWorkforceNowSettings(
            base_url=http("adp_workforce_now"),
            # the real token service is another host (accounts.adp.com), same path
            token_url=http("adp_workforce_now") + "/auth/oauth/v2/token",
            client_id_file=str(secrets / "adp_wfn_client_id"),
            client_secret_file=str(secrets / "adp_wfn_client_secret"),
        ),
        google_sheets=GoogleSheetsSettings(base_url=http("sheets")),
        autocomm={
            loc: SFTPDropSettings(**sftp(f"autocomm_{loc}", f"autocomm_{loc}_password"))
            for loc in AUTOCOMM_REGIONS
        },
        tableau=LocalTableauSettings(root=str(data_dir / "tableau")),
    )
