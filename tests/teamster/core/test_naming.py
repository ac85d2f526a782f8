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


# what a name built from config or a manifest must never carry into SQL, a URL or a path
BAD_NAMES = [
    "../students",
    "/etc/passwd",
    "powerschool/students",
    "stu'dents",
    'stu"dents',
    "stu`dents",
    "stu dents",
    "students\n",
    "stu\tdents",
    "stu\x00dents",
    "stu.dents",
    "stu-dents",
    "x" * 1025,
]


@pytest.mark.parametrize("bad", BAD_NAMES)
def test_a_bad_table_or_dataset_name_is_refused_with_the_value(bad):
    with pytest.raises(ValueError) as info:
        key_for_relation("kippnewark_powerschool", bad)
    assert repr(bad)[:40] in str(info.value)
    with pytest.raises(ValueError) as info:
        key_for_relation(f"kippnewark_{bad}", "students")
    assert "not a BigQuery dataset name" in str(info.value)
    key = AssetKey(["kippnewark", "powerschool", bad])
    with pytest.raises(ValueError) as info:
        relation_for_key(key)
    # names the key it came from, and the rule
    assert f"asset key {key.to_user_string()}" in str(info.value)
    assert "not a warehouse table name (1-1024 letters, digits, _)" in str(info.value)
    with pytest.raises(ValueError, match="not a BigQuery dataset name"):
        relation_for_key(AssetKey(["kippnewark", bad, "students"]))
    with pytest.raises(ValueError, match="not a BigQuery dataset name"):
        dataset_for("kippnewark", bad)


def test_the_longest_allowed_names_pass():
    name = "a" * 1024
    assert relation_for_key(key_for_relation("kipptaf_x", name)) == ("kipptaf_x", name)
