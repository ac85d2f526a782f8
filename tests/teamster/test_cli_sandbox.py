"""`teamster sandbox up|status|advance|down` as a user runs them."""

import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

from support import free_port_base, make_data_dir, teamster_sandbox


def _teamster(*args, data_dir, port_base):
    return teamster_sandbox(*args, data_dir=data_dir, port_base=port_base, timeout=180)


def _open_paths(root: Path) -> list[str]:
    """Every path under ``root`` that grants anything to group or others."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [*dirnames, *filenames]:
            mode = stat.S_IMODE((Path(dirpath) / name).lstat().st_mode)
            if mode & 0o077:
                found.append(f"{Path(dirpath, name).relative_to(root)} {oct(mode)}")
    return sorted(found)


def test_sandbox_lifecycle(umask_022):
    """Up, status, advance, a fault and down; with umask 022, everything the commands
    and the servers write under the data dir stays its owner's alone."""
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
    assert (data_dir / "sandbox" / "server.log").exists()
    assert _open_paths(data_dir) == []


def _alive(pid: int) -> bool:
    """Running (a reaped or zombie process is not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_down_never_signals_a_process_that_reused_the_recorded_pid(tmp_path):
    """A daemon killed without cleaning up leaves run.json; its pid may later belong to
    anything. `down` checks the process is the server it recorded (its start time), says
    the recorded server is gone, removes the stale record and exits 0."""
    unrelated = subprocess.Popen(["sleep", "60"])
    try:
        run = tmp_path / "sandbox" / "run.json"
        run.parent.mkdir(parents=True)
        records = {
            "another process's start": {"pid": unrelated.pid, "pid_start": "0:1"},
            "no start (an older teamster's record)": {"pid": unrelated.pid},
        }
        for case, record in records.items():
            run.write_text(json.dumps({**record, "bastion": 1, "sftp": {}, "http": {}}))
            down = _teamster("down", data_dir=tmp_path, port_base=free_port_base())
            assert down.returncode == 0, (case, down.stdout + down.stderr)
            assert _alive(unrelated.pid), f"{case}: `down` signalled pid {unrelated.pid}"
            said = " ".join(down.stdout.split())
            assert f"pid {unrelated.pid}" in said and "is gone" in said, (case, said)
            assert "not signalled" in said, (case, said)
            assert not run.exists(), case
            status = _teamster("status", data_dir=tmp_path, port_base=free_port_base())
            assert status.returncode == 3 and _alive(unrelated.pid), case
    finally:
        unrelated.kill()
        unrelated.wait()
        shutil.rmtree(tmp_path / "sandbox", ignore_errors=True)


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
