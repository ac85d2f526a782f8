"""The one SFTP file source, against the sandbox's Paterson SIS export folder."""

import threading
from pathlib import Path

import pytest

from teamster.core.sftp import SFTPFolder


class FolderError(ValueError):
    pass


def _folder(settings, folder: str | None = None) -> SFTPFolder:
    drop = settings.sis_sftp["kipppaterson"]
    return SFTPFolder(drop.ssh, folder or drop.remote_dir, FolderError)


def test_files_are_grouped_by_what_their_name_says(sandbox, settings):
    folder = _folder(settings)
    names = sorted(f.path.rsplit("/", 1)[-1] for f in folder.files())
    assert "students.csv" in names and "schools.csv" in names
    by_letter = folder.by_name(lambda name: name[0] if name.startswith("s") else None)
    assert set(by_letter) == {"s"}
    grouped = [f.path.rsplit("/", 1)[-1] for f in by_letter["s"]]
    assert grouped == [n for n in names if n.startswith("s")]  # in name order


def test_a_fetched_file_is_parsed_whole_with_its_uri(sandbox, settings):
    folder = _folder(settings)
    path = folder.path("schools.csv")
    (text, uri), info = folder.fetch(path, lambda local, uri: (local.read_text(), uri))
    ssh = settings.sis_sftp["kipppaterson"].ssh
    assert uri == f"sftp://{ssh.username}@127.0.0.1:{ssh.port}/exports/schools.csv"
    assert info.path == path and info.size == len(text.encode())
    assert text.splitlines()[0].startswith("SCHOOLS.")


def test_a_missing_file_or_folder_raises_the_librarys_error_naming_it(sandbox, settings):
    folder = _folder(settings)
    with pytest.raises(FolderError, match=r"/exports/nothing\.csv does not exist$"):
        folder.fetch(folder.path("nothing.csv"), lambda local, uri: None)
    with pytest.raises(FolderError, match=r"/no/such/folder: cannot list") as info:
        _folder(settings, "/no/such/folder").files()
    password = Path(settings.sis_sftp["kipppaterson"].ssh.password_file).read_text().strip()
    assert password not in str(info.value)


def test_a_file_the_vendor_is_still_writing_is_read_only_once_whole(sandbox, settings):
    """Vendors write their exports in place: a file read while it grows is not loaded
    part-way; the folder waits for it to be quiet and reads it whole (the default rule)."""
    folder = _folder(settings)
    local = sandbox.root / "sftp" / "kipppaterson" / "exports" / "growing.txt"
    local.write_text("n,row\n")
    stop = threading.Event()

    def vendor() -> None:  # 50 lines, 20 ms apart: about a second of writing
        with local.open("a") as f:
            for n in range(50):
                f.write(f"{n},row {n}\n")
                f.flush()
                stop.wait(0.02)

    writer = threading.Thread(target=vendor, daemon=True)
    writer.start()
    try:
        text, info = folder.fetch(folder.path("growing.txt"), lambda p, uri: p.read_text())
        writer.join()
        whole = local.read_text()
    finally:
        stop.set()
        writer.join()
        local.unlink()
    assert text.count("\n") == 51 and text == whole
    assert info.size == len(whole.encode())
