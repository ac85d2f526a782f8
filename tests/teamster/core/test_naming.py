import pytest
from dagster import AssetKey

from teamster.core.naming import dataset_for, key_for_relation, relation_for_key


@pytest.mark.parametrize(
    ("dataset", "table", "key"),
    [
        ("kipptaf", "dim_students", ["kipptaf", "dim_students"]),
        ("kipptaf_extracts", "rpt_x", ["kipptaf", "extracts", "rpt_x"]),
        ("kippnewark_powerschool", "students", ["kippnewark", "powerschool", "students"]),
        (
            "kipptaf_powerschool_enrollment",
            "records",
            ["kipptaf", "powerschool_enrollment", "records"],
        ),
    ],
)
def test_key_and_relation_are_inverse(dataset, table, key):
    assert key_for_relation(dataset, table) == AssetKey(key)
    assert relation_for_key(AssetKey(key)) == (dataset, table)


def test_dataset_for():
    assert dataset_for("kippmiami") == "kippmiami"
    assert dataset_for("kippmiami", "powerschool") == "kippmiami_powerschool"


def test_key_that_names_no_table_is_refused():
    with pytest.raises(ValueError, match="does not name a warehouse table"):
        relation_for_key(AssetKey(["a", "b", "c", "d"]))
