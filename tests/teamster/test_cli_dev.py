"""The local Dagster instance that `teamster demo` and `teamster dev` share.

Its ``dagster.yaml`` must load as a real instance, keep warehouse writers taking turns,
and keep Dagster quiet: no telemetry (whose first use prints a banner into the demo's
output) and no onboarding dialog over the UI.
"""

from pathlib import Path
from types import SimpleNamespace

from dagster import DagsterInstance, Definitions, asset

from teamster.cli import dagster_home


def _home(data_dir: Path) -> Path:
    return dagster_home(SimpleNamespace(data_dir=data_dir))


def test_the_local_instance_loads_with_telemetry_and_onboarding_off(tmp_path):
    home = _home(tmp_path)
    assert home == tmp_path / "dagster"
    with DagsterInstance.from_config(str(home)) as instance:
        assert instance.telemetry_enabled is False
        assert instance.nux_enabled is False  # the UI's "Join the Dagster community"
        assert instance.get_concurrency_config().pool_config.default_pool_limit == 1


def test_a_run_on_the_local_instance_prints_no_telemetry_banner(tmp_path, monkeypatch, capfd):
    """Dagster prints its banner the first time a DAGSTER_HOME is used with telemetry
    on; a fresh one here would show it if the instance let telemetry through."""
    fresh = tmp_path / "fresh-dagster-home"
    fresh.mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(fresh))
    monkeypatch.delenv("DAGSTER_DISABLE_TELEMETRY", raising=False)

    @asset
    def one() -> int:
        return 1

    job = Definitions(assets=[one]).resolve_implicit_global_asset_job_def()
    (tmp_path / "data").mkdir()
    with DagsterInstance.from_config(str(_home(tmp_path / "data"))) as instance:
        assert job.execute_in_process(instance=instance).success
    out, err = capfd.readouterr()
    for banner in ("Telemetry", "Welcome to Dagster", "telemetry:"):
        assert banner not in out + err
    assert not (fresh / ".telemetry").exists()
