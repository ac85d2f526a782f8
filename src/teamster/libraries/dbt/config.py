"""A dbt project split into several ``@dbt_assets`` groups, declared in YAML.

kipptaf runs its dbt nodes as four groups (core, reporting extracts, Google Sheets,
ADP payroll), each with its own selection, CPU request, retry policy and partitions,
so that a slow, flaky or partitioned part does not hold up the rest. Each group is one
``@dbt_assets`` over the same manifest and the one shared translator, so keys and
lineage are identical to a single ungrouped definition.
"""

from pathlib import Path
from typing import Literal

from dagster import (
    Backoff,
    Jitter,
    RetryPolicy,
)
from pydantic import BaseModel, ConfigDict, model_validator

from teamster.core.config import load_config


class Retry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    max_retries: int
    delay_seconds: float
    backoff: Literal["exponential", "linear"] = "exponential"
    jitter: Literal["full", "plus_minus"] | None = "plus_minus"

    def policy(self) -> RetryPolicy:
        return RetryPolicy(
            max_retries=self.max_retries,
            delay=self.delay_seconds,
            backoff=Backoff.EXPONENTIAL if self.backoff == "exponential" else Backoff.LINEAR,
            jitter={"full": Jitter.FULL, "plus_minus": Jitter.PLUS_MINUS, None: None}[self.jitter],
        )


class DbtGroup(BaseModel):
    """One ``@dbt_assets``: what it selects and how its step runs."""

    model_config = ConfigDict(extra="forbid")
    name: str
    select: str = "fqn:*"
    exclude: str | None = None
    cpu: str | None = None  # a Kubernetes CPU request, e.g. "2000m"
    retry: Retry | None = None
    # dynamic partitions whose key reaches dbt as the variable `partition_var`
    partitions: str | None = None
    partition_var: str | None = None
    # the group whose manifest others resolve model names through (Tableau workbooks);
    # exactly one group of a project is canonical
    canonical: bool = False

    def op_tags(self) -> dict | None:
        if self.cpu is None:
            return None
        # read by dagster-k8s's executor in prod: the step pod's container resources
        return {
            "dagster-k8s/config": {
                "container_config": {"resources": {"requests": {"cpu": self.cpu}}}
            }
        }


class DbtGroups(BaseModel):
    model_config = ConfigDict(extra="forbid")
    project: str
    groups: list[DbtGroup]

    @model_validator(mode="after")
    def _one_canonical(self) -> "DbtGroups":
        marked = [g.name for g in self.groups if g.canonical]
        if len(marked) != 1:
            raise ValueError(f"exactly one group must be canonical: true, not {marked or 'none'}")
        return self

    @property
    def canonical(self) -> DbtGroup:
        """The group marked ``canonical: true``."""
        return next(g for g in self.groups if g.canonical)


def load_groups(path: Path) -> DbtGroups:
    return load_config(path, DbtGroups)
