"""The AutoComm push: the regional dbt exposure ``powerschool_autocomm`` made executable.

The exposure names the region's wrapper models over kipptaf's shared
``rpt_powerschool__autocomm_*`` format; the asset reads each one from the warehouse,
renders every file first (so a bad value pushes nothing), then replaces each file
in the region's inbox atomically.
"""

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
from pydantic import BaseModel, ConfigDict

from teamster.core.config import load_config
from teamster.core.naming import relation_for_key
from teamster.core.warehouse import Warehouse
from teamster.libraries.powerschool.autocomm.resources import AutoCommInbox
from teamster.libraries.powerschool.autocomm.schema import render

# the shared format carries the region so kipptaf can hold every region in one table
DROPPED_COLUMNS = ("code_location",)


class AutoCommFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    model: str
    file: str


class AutoCommConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    exposure: str
    files: list[AutoCommFile]


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
                keep = [c for c in table.column_names if c not in DROPPED_COLUMNS]
                path = Path(tmp) / f.file
                rows[f.file] = render(table.select(keep), path, f"{f.file} (from {f.model})")
                rendered.append((path, f.file))
            with powerschool_autocomm.connect() as inbox:
                for path, name in rendered:
                    context.log.info(f"pushing {name}: {rows[name]} rows")
                    inbox.push(path, name)
        return MaterializeResult(
            asset_key=spec.key,
            metadata={"dagster/row_count": sum(rows.values()), **{f: n for f, n in rows.items()}},
        )

    return push
