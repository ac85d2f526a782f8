"""``python -m sandbox serve``: the sandbox as a long-running process (the daemon).

``teamster sandbox up`` starts it detached; it writes ``sandbox/run.json`` once every
server accepts connections and removes it when stopped by SIGTERM or SIGINT. The record
holds its pid and that process's start time, so ``sandbox down`` can tell the daemon
from a later process given the same pid. Like the ``teamster`` command, the daemon
makes everything it writes private (its umask, ``teamster.core.private``).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import threading
import time
from pathlib import Path

from sandbox.district import Sandbox, process_start
from teamster.core.private import tighten_umask, write_private
from teamster.core.settings.local import sandbox_ports


def serve(data_dir: Path, port_base: int) -> None:
    tighten_umask()
    sandbox = Sandbox(data_dir, sandbox_ports(port_base))
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    run = sandbox.root / "run.json"
    sandbox.start()
    try:
        ports = sandbox.ports
        record = {
            "pid": os.getpid(),
            "pid_start": process_start(os.getpid()),
            "started_at": time.time(),
            "port_base": port_base,
            "bastion": ports.bastion,
            "sftp": ports.sftp,
            "http": ports.http,
        }
        # whole or not at all: `sandbox up` polls for it
        write_private(run, json.dumps(record, indent=1).encode())
        stop.wait()
    finally:
        # run.json goes last: `sandbox down` waits for it, so the servers are gone by then
        try:
            sandbox.stop()
        finally:
            run.unlink(missing_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox")
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve", help="serve an already generated district until signalled")
    s.add_argument("--data-dir", type=Path, required=True)
    s.add_argument("--port-base", type=int, required=True)
    args = parser.parse_args()
    serve(args.data_dir, args.port_base)


if __name__ == "__main__":
    main()
