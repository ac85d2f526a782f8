"""One name per landed type, shared by every declaration."""

import pyarrow as pa
import pytest

from teamster.core.arrow_types import INTEGER, arrow_type, type_name


def test_names_map_to_arrow_types_and_back():
    assert arrow_type("timestamp") == pa.timestamp("us")
    assert arrow_type("decimal(18, 2)") == pa.decimal128(18, 2)
    assert type_name(pa.decimal128(18, 2)) == "decimal(18,2)"
    assert type_name(pa.date32()) == "date"


def test_unknown_types_are_refused():
    with pytest.raises(ValueError, match="unknown column type 'money'"):
        arrow_type("money")


def test_the_integer_text_rule_is_the_one_arrow_reads():
    assert [bool(INTEGER.fullmatch(t)) for t in ("12", "-12", "+12", "1.0", "")] == [
        True,
        True,
        False,
        False,
        False,
    ]
    assert pa.array(["-12"]).cast(pa.int64()).to_pylist() == [-12]
    with pytest.raises(pa.ArrowInvalid):
        pa.array(["+12"]).cast(pa.int64())
