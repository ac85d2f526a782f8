"""Loading a code location's definitions without the cyclic garbage collector in the way.

A dbt manifest parses into millions of small dicts and lists. While they are being
made, CPython's collector keeps scanning them, though none is garbage: at 2,000 models
and 8,000 tests that is over a second of a load (docs/benchmarks.md). The manifest then
lives as long as the process (dagster-dbt caches it and the asset specs carry it), so
after the load everything built is moved out of the collector's sight with
``gc.freeze``, and later collections in the code server stay cheap.
"""

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def definitions_load() -> Iterator[None]:
    """Pause collection while definitions are built; then freeze what was built."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()
