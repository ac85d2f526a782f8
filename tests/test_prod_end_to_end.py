"""The ``prod`` environment end to end, on the emulators and the sandbox.

Newark's SIS (SQL through the bastion) and Paterson's SFTP drop land as Parquet in GCS,
load into BigQuery, build with dbt-bigquery (both regional projects whole, kipptaf's
students over every region), and Newark's AutoComm files are read back from BigQuery
and pushed. The figures must equal the sandbox's own, as the local demo's do.
"""

from sandbox.prod_run import WHOLE, compare, run_slice


def test_prod_slice_on_emulators(sandbox, settings, cloud, tmp_path):
    report = run_slice(settings, cloud, log=tmp_path / "prod.log")
    # every layer ran: ingestion, both regional dbt projects, kipptaf, the push
    for key in [
        "kippnewark/powerschool/attendance",
        "kipppaterson/powerschool/students",
        "kippnewark/powerschool/int_powerschool__student_enrollments",
        "kipppaterson/powerschool/stg_powerschool__students",
        "kipptaf/dim_students",
    ]:
        assert key in report["assets"], key
    for region in WHOLE:
        assert any(a.startswith(f"{region}/deanslist/") for a in report["assets"])
    # the push: each file's rows equal its BigQuery table's (compare reads both)
    found = compare(sandbox, cloud, report)
    mismatched = {what: pair for what, pair in found.items() if pair[0] != pair[1]}
    assert not mismatched, mismatched
    # the partition replaced twice held rows (all of them, if the district's attendance
    # is all in the newest fiscal year), the same both times
    again = report["again"]
    assert 0 < again["landed"][0] == again["landed"][1] <= again["rows"][0]
