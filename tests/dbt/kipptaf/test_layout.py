"""kipptaf's models land in the dataset their directory names.

extracts/tableau/ -> kipptaf_tableau, extracts/ -> kipptaf_extracts,
reporting/ -> kipptaf_reporting, everything else -> kipptaf; and `rpt_` models live
only in extracts/. Checked on the manifest code locations load, by file path.
"""

from __future__ import annotations

from typing import Any

# longest prefix first: the first match decides
SCHEMA_BY_DIRECTORY = [
    ("models/extracts/tableau/", "kipptaf_tableau"),
    ("models/extracts/", "kipptaf_extracts"),
    ("models/reporting/", "kipptaf_reporting"),
    ("models/", "kipptaf"),
]


def expected_schema(path: str) -> str:
    """The dataset a model file of kipptaf lands in, by its directory."""
    for prefix, schema in SCHEMA_BY_DIRECTORY:
        if path.startswith(prefix):
            return schema
    raise ValueError(f"{path} is not under models/")


def kipptaf_models(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        n
        for n in manifest["nodes"].values()
        if n["resource_type"] == "model" and n["package_name"] == "kipptaf"
    ]


def misplaced(nodes: list[dict[str, Any]]) -> list[str]:
    """One line per model whose dataset is not its directory's."""
    return [
        f"{n['name']} ({n['original_file_path']}) lands in {n['schema']}, "
        f"expected {expected_schema(n['original_file_path'])}"
        for n in nodes
        if n["schema"] != expected_schema(n["original_file_path"])
    ]


def stray_rpt(nodes: list[dict[str, Any]]) -> list[str]:
    """`rpt_` models outside models/extracts/."""
    return [
        f"{n['name']} ({n['original_file_path']})"
        for n in nodes
        if n["name"].startswith("rpt_")
        and not n["original_file_path"].startswith("models/extracts/")
    ]


def test_expected_schema_follows_the_directory() -> None:
    assert expected_schema("models/extracts/tableau/rpt_tableau__x.sql") == "kipptaf_tableau"
    assert expected_schema("models/extracts/powerschool/rpt_x.sql") == "kipptaf_extracts"
    assert expected_schema("models/reporting/int_reporting__x.sql") == "kipptaf_reporting"
    assert expected_schema("models/marts/dim_x.sql") == "kipptaf"
    assert expected_schema("models/tableau/x.sql") == "kipptaf"  # only under extracts/


def test_every_model_lands_in_its_directorys_dataset(kipptaf_manifest: dict[str, Any]) -> None:
    nodes = kipptaf_models(kipptaf_manifest)
    assert len(nodes) > 10
    assert misplaced(nodes) == []
    # every row of the table is exercised, so a broken override would show here
    assert {n["schema"] for n in nodes} >= {
        "kipptaf",
        "kipptaf_extracts",
        "kipptaf_tableau",
        "kipptaf_reporting",
    }


def test_rpt_models_live_only_in_extracts(kipptaf_manifest: dict[str, Any]) -> None:
    assert stray_rpt(kipptaf_models(kipptaf_manifest)) == []


def test_checks_name_the_offending_model() -> None:
    """A model in the wrong dataset or an `rpt_` outside extracts/ is reported by name."""
    bad = [
        {
            "name": "rpt_tableau__x",
            "original_file_path": "models/extracts/tableau/rpt_tableau__x.sql",
            "schema": "kipptaf_extracts",
        },
        {
            "name": "rpt_loose",
            "original_file_path": "models/marts/rpt_loose.sql",
            "schema": "kipptaf",
        },
    ]
    assert misplaced(bad) == [
        "rpt_tableau__x (models/extracts/tableau/rpt_tableau__x.sql) lands in "
        "kipptaf_extracts, expected kipptaf_tableau"
    ]
    assert stray_rpt(bad) == ["rpt_loose (models/marts/rpt_loose.sql)"]


def test_extracts_are_tables_with_enforced_contracts(kipptaf_manifest: dict[str, Any]) -> None:
    """Files and workbooks read extracts: each is a table whose columns are declared."""
    problems = [
        n["name"]
        for n in kipptaf_models(kipptaf_manifest)
        if n["original_file_path"].startswith("models/extracts/")
        and (
            n["config"]["materialized"] != "table"
            or not n["config"]["contract"]["enforced"]
            or not n["columns"]
            or any(not c.get("data_type") for c in n["columns"].values())
        )
    ]
    assert problems == []
