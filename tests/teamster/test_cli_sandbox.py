"""`teamster sandbox up|status|advance|down` as a user runs them."""

import json

from support import free_port_base, make_data_dir, teamster_sandbox


def _teamster(*args, data_dir, port_base):
    return teamster_sandbox(*args, data_dir=data_dir, port_base=port_base, timeout=180)


def test_sandbox_lifecycle():
    data_dir, base = make_data_dir("teamster-cli-"), free_port_base()
    up = _teamster("up", "--scale", "0.02", data_dir=data_dir, port_base=base)
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        assert f"127.0.0.1:{base}" in up.stdout
        status = _teamster("status", data_dir=data_dir, port_base=base)
        assert status.returncode == 0 and "sandbox up" in status.stdout
        before = json.loads((data_dir / "sandbox" / "state.json").read_text())["as_of"]
        advance = _teamster("advance", "--days", "2", data_dir=data_dir, port_base=base)
        assert advance.returncode == 0, advance.stdout + advance.stderr
        after = json.loads((data_dir / "sandbox" / "state.json").read_text())["as_of"]
        assert after > before
        fault = _teamster(
            "fault", "--http-burst", "deanslist:429:2", data_dir=data_dir, port_base=base
        )
        assert fault.returncode == 0 and "deanslist" in fault.stdout
    finally:
        down = _teamster("down", data_dir=data_dir, port_base=base)
    assert down.returncode == 0 and "stopped" in down.stdout
    assert _teamster("status", data_dir=data_dir, port_base=base).returncode == 3
    assert not (data_dir / "sandbox" / "run.json").exists()


def test_a_district_from_an_older_teamster_is_refused_not_half_updated(tmp_path):
    """Its tables and files have other shapes: `advance` says to regenerate instead of
    writing the new shapes over some of the old ones."""
    state = tmp_path / "sandbox" / "state.json"
    state.parent.mkdir(parents=True)
    state.write_text(
        json.dumps({"seed": 7, "scale": 0.02, "start_year": 2026, "as_of": "2026-11-30"})
    )
    advance = _teamster("advance", "--days", "1", data_dir=tmp_path, port_base=free_port_base())
    assert advance.returncode == 2
    assert "older teamster" in advance.stdout and "--regenerate" in advance.stdout
    assert "Traceback" not in advance.stdout + advance.stderr
    assert json.loads(state.read_text())["as_of"] == "2026-11-30"  # untouched


def test_a_malformed_http_burst_is_a_usage_error_and_touches_nothing(tmp_path):
    """A typo in --http-burst says what the option takes (exit 2, no traceback) before
    the data dir is touched."""
    for value in ("x", "deanslist:404:2", "canvas:429:1", "deanslist:429:0", "deanslist:429"):
        data_dir = tmp_path / value.replace(":", "_")
        run = teamster_sandbox(
            "fault", "--http-burst", value, data_dir=data_dir, port_base=free_port_base()
        )
        assert run.returncode == 2, run.stdout + run.stderr
        assert "Traceback" not in run.stdout + run.stderr
        assert "SYSTEM:STATUS:COUNT" in run.stderr and "deanslist:429:3" in run.stderr
        assert not data_dir.exists()
