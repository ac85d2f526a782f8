"""The AutoComm push: the regional dbt exposure ``powerschool_autocomm`` made executable.

The exposure names the region's wrapper models over kipptaf's shared
``rpt_powerschool__autocomm_*`` format; the asset reads each one from the warehouse,
renders every file first (so a bad value or an unexpectedly empty extract pushes
nothing), then replaces the region's files in its inbox as one set (see
``AutoCommInbox.push``).
"""

import re
import tempfile
from pathlib import Path

from dagster import (
    AssetExecutionContext,
    AssetsDefinition,
    AssetSpec,
    AutomationCondition,
    MaterializeResult,
    multi_asset,
)
from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from teamster.core.config import load_config
from teamster.core.naming import relation_for_key
from teamster.core.warehouse import Warehouse
from teamster.libraries.powerschool.autocomm.resources import AutoCommInbox
from teamster.libraries.powerschool.autocomm.schema import render

# the shared format carries the region so kipptaf can hold every region in one table
DROPPED_COLUMNS = ("code_location",)


# a name in the inbox, nothing more: no folder, no quote or space, no dot-file (the push
# stages its uploads as dot-files, and readers skip them)
PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,254}")


class AutoCommEmptyError(ValueError):
    """An extract has no data rows, and its file is not allowed to be empty."""


class AutoCommFile(BaseModel):
    """One file: the wrapper model it renders, its name in the inbox, and whether it may
    be pushed with no data rows (an empty file clears what PowerSchool holds)."""

    model_config = ConfigDict(extra="forbid")
    model: str
    file: str
    allow_empty: bool = False

    @field_validator("file")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        # the name becomes a remote path: a folder, `..` or a control character in it
        # would write somewhere else than the inbox, or a name PowerSchool cannot read
        if not PLAIN_NAME.fullmatch(value):
            raise ValueError(
                f"file {value!r} is not a plain file name: use letters, digits, '.', '-' "
                "and '_', not starting with '.' (no folders, quotes, spaces or control "
                "characters)"
            )
        return value


class AutoCommConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    exposure: str
    files: list[AutoCommFile]

    @model_validator(mode="after")
    def _one_entry_per_file(self) -> "AutoCommConfig":
        models: dict[str, list[str]] = {}
        for f in self.files:
            models.setdefault(f.file, []).append(f.model)
        for name, writers in models.items():
            if len(writers) > 1:  # the second would overwrite the first in the inbox
                raise ValueError(f"file {name!r} is written by more than one entry ({writers})")
        return self


def load_autocomm_config(path: Path) -> AutoCommConfig:
    return load_config(path, AutoCommConfig)


def build_autocomm_asset(
    location: str, config: AutoCommConfig, exposures: dict[str, AssetSpec]
) -> AssetsDefinition:
    """The push asset, keyed and wired like the dbt exposure it implements."""
    spec = exposures.get(config.exposure)
    if spec is None:
        raise ValueError(
            f"{location}: AutoComm config names exposure {config.exposure!r}, "
            f"which the dbt project does not declare (it has {sorted(exposures)})"
        )
    relations = {relation_for_key(dep.asset_key)[1]: dep.asset_key for dep in spec.deps}
    missing = [f.model for f in config.files if f.model not in relations]
    if missing:
        raise ValueError(
            f"{location}: AutoComm files read {missing}, which exposure "
            f"{config.exposure!r} does not depend on ({sorted(relations)})"
        )
    files = [(f, relation_for_key(relations[f.model])) for f in config.files]

    @multi_asset(
        name=f"{location}_{config.exposure}",
        specs=[
            spec.replace_attributes(
                group_name="powerschool_autocomm",
                kinds={"powerschool"},
                # push once the region's wrapper models are rebuilt
                automation_condition=AutomationCondition.eager(),
            )
        ],
    )
    def push(
        context: AssetExecutionContext,
        warehouse: Warehouse,
        powerschool_autocomm: AutoCommInbox,
    ) -> MaterializeResult:
        rows: dict[str, int] = {}
        with tempfile.TemporaryDirectory(prefix="autocomm-") as tmp:
            rendered = []
            for f, (dataset, table_name) in files:
                table = warehouse.read(dataset, table_name)
                display = f"{f.file} (from {f.model})"
                if table.num_rows == 0 and not f.allow_empty:
                    # an empty file would clear the field in PowerSchool for everyone
                    raise AutoCommEmptyError(
                        f"{display}: no data rows, so nothing is pushed and the inbox keeps "
                        f"the last file; if the file may be empty, set `allow_empty: true` "
                        f"on its entry in {location}'s autocomm.yaml"
                    )
                keep = [c for c in table.column_names if c not in DROPPED_COLUMNS]
                path = Path(tmp) / f.file
                rows[f.file] = render(table.select(keep), path, display)
                rendered.append((path, f.file))
            for _, name in rendered:
                context.log.info(f"pushing {name}: {rows[name]} rows")
            powerschool_autocomm.push(rendered)
        return MaterializeResult(
            asset_key=spec.key,
            metadata={"dagster/row_count": sum(rows.values()), **{f: n for f, n in rows.items()}},
        )

    return push
