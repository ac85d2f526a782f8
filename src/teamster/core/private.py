"""Files and folders that hold student records or secrets: their owner's alone, from
the moment they exist.

A mode set by ``chmod`` after a write leaves a window in which others can open the
file, and a process's umask (022 on most systems) opens new files to everyone. So:

- ``private_dir`` creates folders 0700 (and any missing parents), ``write_private``
  writes a file 0600 beside its name and renames it into place;
- ``private_umask`` covers files that libraries create themselves (DuckDB's database
  and write-ahead log): for a block, new files get no group or other bits;
- ``tighten_umask`` is for the ``teamster`` command and the sandbox daemon only: they
  are applications, so they make everything they and their children write private.
  Code locations and the IO manager never change a process's umask for good: they run
  inside the user's Dagster processes.
"""

from __future__ import annotations

import os
import stat
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PRIVATE_UMASK = 0o077
DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path, tighten: bool = False) -> Path:
    """Create ``path`` and its missing parents 0700 (a mode given to ``mkdir``, never
    added after). An existing folder keeps its mode, since it may be one the user shares
    on purpose; ``tighten`` is for folders only teamster makes (secrets, host keys),
    which are made 0700 whatever an older version left."""
    path = Path(path)
    missing = []
    for folder in [path, *path.parents]:
        if folder.is_dir():
            break
        missing.append(folder)
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=DIR_MODE)
        except FileExistsError:
            if not folder.is_dir():
                raise
    if tighten and stat.S_IMODE(path.stat().st_mode) & ~DIR_MODE:
        path.chmod(DIR_MODE)
    return path


def write_private(path: Path, content: bytes) -> None:
    """Replace ``path`` with ``content``, readable by its owner alone from the first byte.

    The bytes go to a new file that ``mkstemp`` creates 0600 (``O_EXCL``: never a stale
    file with another mode) and are renamed over ``path``, so a reader never sees half.
    """
    path = Path(path)
    private_dir(path.parent)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".new")
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def create_private_file(path: Path) -> None:
    """An empty file made 0600 by ``open`` (it must not exist): a writer that opens it
    again with truncation (pyarrow) keeps that mode."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))


_lock = threading.Lock()
_depth = 0
_saved = 0


@contextmanager
def private_umask() -> Iterator[None]:
    """For the block, files and folders the process creates get no group or other bits.

    The umask belongs to the whole process: while any thread is inside such a block,
    files other threads create are private too (stricter, never looser), and the
    caller's umask is back once the last block ends. For what a library creates on its
    own (DuckDB), where no mode can be passed."""
    global _depth, _saved
    with _lock:
        if _depth == 0:
            _saved = os.umask(PRIVATE_UMASK)
            os.umask(_saved | PRIVATE_UMASK)
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                os.umask(_saved)


def tighten_umask() -> int:
    """Make everything this process and its children create private, for good; returns
    the umask it had. Only for teamster's own commands (see the module's docstring)."""
    previous = os.umask(PRIVATE_UMASK)
    os.umask(previous | PRIVATE_UMASK)
    return previous
