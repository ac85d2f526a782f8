"""Helpers shared by fixtures and tests."""

import socket
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def free_port_base(span: int = 16) -> int:
    """A port base whose next ``span`` ports are free on 127.0.0.1."""
    for _ in range(200):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            base = s.getsockname()[1]
        if base + span > 65535:
            continue
        try:
            for port in range(base, base + span):
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise RuntimeError("no free port range on 127.0.0.1")


def make_data_dir(prefix: str) -> Path:
    """A data dir that PostgreSQL, run as `nobody` under root, can reach."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    path.chmod(0o755)
    return path


def sis_requests(defs, location: str, instance) -> list:
    """The run requests one tick of ``location``'s SIS change sensor makes."""
    from dagster import build_sensor_context

    sensor = defs.resolve_sensor_def(f"{location}__powerschool_sis__changes")
    with build_sensor_context(
        instance=instance,
        definitions=defs,
        resources={"powerschool_sis": defs.resources["powerschool_sis"]},
    ) as context:
        return list(sensor.evaluate_tick(context).run_requests or [])


def compiled_models(manifest: dict) -> dict[str, str]:
    """Model name -> compiled SQL, from a compiled manifest (``compiled_manifests``)."""
    return {
        node["name"]: node["compiled_code"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
    }


def staging_error(sql: str, dataset: str, table: str, schema) -> str | None:
    """Why compiled ``sql`` cannot run on an empty ``warehouse.<dataset>.<table>`` of
    exactly ``schema`` (what an ingestion asset lands), e.g. a column it reads that is
    not landed; None when it runs. How the fidelity tests hold staging models to what
    the libraries land."""
    import duckdb
    import pyarrow as pa

    con = duckdb.connect(":memory:")
    try:
        con.execute("attach ':memory:' as warehouse")
        con.execute(f'create schema warehouse."{dataset}"')
        con.register("landed", pa.Table.from_pylist([], schema=schema))
        con.execute(f'create table warehouse."{dataset}"."{table}" as select * from landed')
        con.execute(f"select * from ({sql}) as staged limit 0")
    except duckdb.Error as e:
        return str(e)
    finally:
        con.close()
    return None
