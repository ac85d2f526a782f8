"""Every model in kipptaf's marts/ and extracts/ has a value-level expectation."""

from pathlib import Path

from sandbox.expected import all_tables
from sandbox.generator import generate

KIPPTAF = Path(__file__).parents[2] / "src" / "dbt" / "kipptaf" / "models"


def test_every_mart_and_extract_has_its_expected_rows():
    published = {
        p.stem for folder in ("marts", "extracts") for p in (KIPPTAF / folder).rglob("*.sql")
    }
    expected = all_tables(generate(seed=3, scale=0.02))
    covered = {e.relation.split(".")[-1] for e in expected}
    assert len(published) == 21  # 15 marts, 3 AutoComm and 3 Tableau extracts
    assert published - covered == set()
    empty = [e.relation for e in expected if not e.rows]
    assert empty == []
