"""Which executor a code location's runs use, chosen once for all five locations.

In ``prod`` every step runs in its own Kubernetes pod (dagster-k8s's
``k8s_job_executor``), so a step's ``dagster-k8s/config`` op tags, such as the CPU
requests of kipptaf's dbt groups, reach the scheduler. Locally there is no cluster,
and Dagster's default executor runs steps in processes on the machine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from teamster.core.settings import Settings

if TYPE_CHECKING:
    from dagster import ExecutorDefinition


def executor_for(settings: Settings) -> ExecutorDefinition | None:
    """The executor for ``settings``' environment; ``None`` keeps Dagster's default."""
    if settings.environment != "prod":
        return None
    try:
        # the `prod` extra: a local install need not have it
        from dagster_k8s import k8s_job_executor
    except ImportError as e:
        raise ImportError("TEAMSTER_ENV=prod needs dagster-k8s: install teamster[prod]") from e
    return k8s_job_executor
