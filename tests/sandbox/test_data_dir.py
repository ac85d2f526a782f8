"""Any data dir works, as root or not, and keeps its mode (issue 12).

PostgreSQL refuses to run as root, so under root the SIS clusters run as `nobody`, who
cannot enter the private (0700) folder `mktemp -d` makes. These tests run the sandbox
on such a folder, as the current user (root in CI and containers), and check that it
works and that nothing in the folder was opened up for it.
"""

import json
import os
import shutil
import stat
import subprocess
import tempfile
import time
from pathlib import Path

from sandbox import postgres
from support import free_port_base, make_data_dir, sis_query, teamster_sandbox
from teamster.core.regions import SQL_SIS_REGIONS

AS_ROOT = os.geteuid() == 0


def _students_through_bastion(root: Path, bastion_port: int, region: str) -> int:
    return sis_query(root, bastion_port, region, "select count(*) from students")[0][0]


def _readable_by(user: str, paths: list[Path]) -> list[str]:
    """The paths ``user`` can read (run as that user: the kernel decides, not a mode)."""
    script = 'while IFS= read -r p; do [ -r "$p" ] && printf "%s\\n" "$p"; done; true'
    result = subprocess.run(
        ["sh", "-c", script],
        input="".join(f"{p}\n" for p in paths),
        user=user,
        cwd="/",
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.splitlines()


def _everything_under(folder: Path) -> list[Path]:
    found = [folder]
    for dirpath, dirnames, filenames in os.walk(folder):
        found += [Path(dirpath) / name for name in dirnames + filenames]
    return found


def _alive(pid: int) -> bool:
    """Running, not merely unreaped (containers whose pid 1 reaps nothing keep zombies)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return not postgres._zombie(pid)


def _cleanup(data_dir: Path) -> None:
    shutil.rmtree(data_dir, ignore_errors=True)
    if AS_ROOT:  # its clusters live outside it: remove them now, not at the next create
        postgres.prune_orphans(postgres.cluster_base("nobody"))


def test_sandbox_up_on_a_private_data_dir_keeps_it_private():
    data_dir, base = make_data_dir("teamster-private-"), free_port_base()
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700  # what mktemp -d makes
    root = data_dir / "sandbox"
    try:
        up = teamster_sandbox("up", "--scale", "0.02", data_dir=data_dir, port_base=base)
        try:
            assert up.returncode == 0, up.stdout + up.stderr
            run = json.loads((root / "run.json").read_text())
            truth = json.loads((root / "truth.json").read_text())
            students = truth["tables_by_region"]["kippnewark"]["students"]
            assert _students_through_bastion(root, run["bastion"], "kippnewark") == students
            # another process writes into the daemon's clusters (it finds them too)
            advance = teamster_sandbox("advance", "--days", "1", data_dir=data_dir, port_base=base)
            assert advance.returncode == 0, advance.stdout + advance.stderr
            after = json.loads((root / "truth.json").read_text())
            assert (
                _students_through_bastion(root, run["bastion"], "kippnewark")
                == after["tables_by_region"]["kippnewark"]["students"]
            )
        finally:
            down = teamster_sandbox("down", data_dir=data_dir, port_base=base)
        assert down.returncode == 0 and "stopped" in down.stdout, down.stdout + down.stderr
        # `down` returns once run.json is gone; the daemon then stops its clusters
        deadline = time.monotonic() + 60
        while _alive(run["pid"]) and time.monotonic() < deadline:
            time.sleep(0.2)
        clusters = [
            postgres.SISDatabase(root / "sis" / region, "").pgdata for region in SQL_SIS_REGIONS
        ]
        assert [c for c in clusters if postgres._server_pid(c) is not None] == []

        assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
        secrets = list((root / "secrets").iterdir())
        assert secrets and stat.S_IMODE((root / "secrets").stat().st_mode) == 0o700
        for path in secrets:
            if not path.name.endswith(".pub"):
                assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        everything = _everything_under(data_dir)
        writable = [p for p in everything if p.lstat().st_mode & stat.S_IWOTH]
        assert writable == []
        if AS_ROOT:
            # the server's own user, and so any other, reads nothing in the data dir; a
            # world-readable file elsewhere shows the check sees what it should
            control = Path(tempfile.mkdtemp(prefix="teamster-control-"))
            try:
                control.chmod(0o755)
                (control / "open").write_text("x")
                (control / "open").chmod(0o644)
                readable = _readable_by("nobody", [*everything, control / "open"])
            finally:
                shutil.rmtree(control)
            assert readable == [str(control / "open")]
    finally:
        _cleanup(data_dir)


def test_a_new_cluster_replaces_a_stale_one_and_those_of_deleted_data_dirs():
    """A killed run leaves its server running and its cluster behind; regenerating stops
    and replaces it, and a deleted data dir's cluster goes with the next one created."""
    first, second = make_data_dir("teamster-stale-"), make_data_dir("teamster-next-")
    try:
        killed = postgres.SISDatabase(first / "sandbox" / "sis" / "kippnewark", "pw-one")
        killed.create()
        killed.start()
        leftover = postgres._server_pid(killed.pgdata)
        assert leftover is not None  # never stopped: as if its process was killed

        again = postgres.SISDatabase(first / "sandbox" / "sis" / "kippnewark", "pw-two")
        again.create()
        assert postgres._server_pid(again.pgdata) is None
        assert not _alive(leftover), "the leftover server still runs"
        again.start()
        try:
            again.replace_all({"students": [], "schools": []})
            assert again.count("students") == 0  # the new password logs in
        finally:
            again.stop()
        stale = again.pgdata
        assert stale.is_dir()

        shutil.rmtree(first)
        postgres.SISDatabase(second / "sandbox" / "sis" / "kippnewark", "pw-three").create()
        assert not stale.exists()
        assert stat.S_IMODE(second.stat().st_mode) == 0o700
    finally:
        _cleanup(first)
        _cleanup(second)


def test_postgres_programs_under_a_private_folder_are_copied_where_nobody_can_run_them(
    monkeypatch,
):
    """A clone (and its venv) in a `mktemp -d` folder: `nobody` cannot run the wheel's
    PostgreSQL there, so the sandbox runs a copy beside the clusters."""
    if not AS_ROOT:
        assert postgres.pg_bin() == postgres._PGINSTALL / "bin"  # nothing to copy
        return
    private = Path(tempfile.mkdtemp())  # 0700, like the clone CI and containers make
    found = None
    try:
        site = private / "site-packages"
        shutil.copytree(postgres._PGINSTALL.parent, site / "pgserver", symlinks=True)
        libs = postgres._PGINSTALL.parents[1] / "pgserver.libs"
        shutil.copytree(libs, site / "pgserver.libs", symlinks=True)
        monkeypatch.setattr(postgres, "_PGINSTALL", site / "pgserver" / "pginstall")
        postgres.pg_bin.cache_clear()
        assert not postgres._runs_as("nobody", site / "pgserver" / "pginstall" / "bin" / "pg_ctl")
        found = postgres.pg_bin()
        assert not found.is_relative_to(private)
        assert postgres._runs_as("nobody", found / "pg_ctl")
        assert postgres._runs_as("nobody", found / "initdb")
    finally:
        postgres.pg_bin.cache_clear()
        shutil.rmtree(private, ignore_errors=True)
        if found is not None:  # this copy is of a wheel nobody else uses
            shutil.rmtree(found.parents[2], ignore_errors=True)


def test_secrets_are_private_from_creation_not_after_a_chmod(tmp_path, monkeypatch):
    """Keys and passwords are never readable by others, not even for the moment between
    writing and a chmod: with umask 022 and every chmod turned into a no-op, each secret
    and its folder still have their owner-only modes, so they came from creation."""
    from sandbox import district, files, ssh
    from teamster.core.settings.local import sandbox_ports

    chmods: list[str] = []
    monkeypatch.setattr(os, "chmod", lambda path, *a, **k: chmods.append(str(path)))
    monkeypatch.setattr(Path, "chmod", lambda self, *a, **k: chmods.append(str(self)))
    previous = os.umask(0o022)
    try:
        box = district.Sandbox(tmp_path / "data", sandbox_ports(free_port_base()))
        ssh.host_key(box.root / "host_keys" / "bastion")
        district._client_key(box.secrets_dir / "ssh_client_key")
        files.secret(box.secrets_dir / "kippnewark_sis_password")
        box.change_host_key("bastion")  # the fault's new key: private too
    finally:
        os.umask(previous)

    modes = {
        str(p.relative_to(box.root)): stat.S_IMODE(p.stat().st_mode)
        for p in _everything_under(box.root)
        if not p.name.startswith(".")
    }
    assert modes == {
        ".": 0o700,
        "host_keys": 0o700,
        "host_keys/bastion": 0o600,
        "secrets": 0o700,
        "secrets/ssh_client_key": 0o600,
        "secrets/ssh_client_key.pub": 0o600,
        "secrets/kippnewark_sis_password": 0o600,
    }, chmods
    assert not [p for p in _everything_under(box.root) if p.name.startswith(".")]
