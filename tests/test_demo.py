"""End to end: `teamster demo` as a user runs it, checked against the sandbox's truth."""

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb

from support import free_port_base, make_data_dir


def _demo(data_dir: Path, port_base: int) -> subprocess.CompletedProcess:
    teamster = Path(sys.executable).parent / "teamster"
    env = {**os.environ, "TEAMSTER_SANDBOX_PORT_BASE": str(port_base)}
    env.pop("TEAMSTER_DATA_DIR", None)
    return subprocess.run(
        [str(teamster), "demo", "--data-dir", str(data_dir), "--seed", "7", "--scale", "0.05"],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


def _counts(data_dir: Path) -> dict[str, int]:
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        return dict(
            con.execute(
                "select code_location, count(*) from kipptaf.dim_students group by 1"
            ).fetchall()
        )


def _network(data_dir: Path) -> dict[str, object]:
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:

        def by_region(sql: str) -> dict[str, int]:
            return dict(con.execute(sql).fetchall())

        return {
            "incidents": by_region(
                "select code_location, count(*) from kipptaf.fct_behavior_incidents group by 1"
            ),
            "behavior": by_region(
                "select code_location, count(*) from kipptaf.fct_behavior group by 1"
            ),
            # by PowerSchool school: DeansList's own school ids went through the crosswalk
            "incidents_by_school": {
                (r, str(s)): n
                for r, s, n in con.execute(
                    "select code_location, school_number, count(*) "
                    "from kipptaf.fct_behavior_incidents group by all"
                ).fetchall()
            },
            "enrollment_records": by_region(
                "select cast(published_action_id as varchar), count(*) "
                "from kipptaf_powerschool_enrollment.submission_records group by 1"
            ),
            "enrollment_submissions": by_region(
                "select cast(action_id as varchar), sum(submissions) "
                "from kipptaf_tableau.rpt_tableau__enrollment group by 1"
            ),
            "iready": by_region(
                "select code_location, count(*) from kipptaf.fct_iready_diagnostics group by 1"
            ),
            # i-Ready's own flag, and the school its crosswalk gives each diagnostic
            "iready_most_recent": by_region(
                "select code_location, count(*) from kipptaf.fct_iready_diagnostics"
                " where is_most_recent group by 1"
            ),
            "iready_by_school": by_region(
                "select code_location || '/' || cast(school_number as varchar), count(*)"
                " from kipptaf.fct_iready_diagnostics group by 1"
            ),
            "active_staff": by_region(
                "select home_work_location, count(*) from kipptaf.dim_staff"
                " where is_active group by 1"
            ),
            "active_staff_by_school": by_region(
                "select cast(home_school_number as varchar), count(*) from kipptaf.dim_staff"
                " where is_active and home_school_number is not null group by 1"
            ),
            "gl_lines": con.execute(
                "select sum(lines) from kipptaf.fct_payroll_by_location"
            ).fetchone()[0],
            "gl_lines_by_school": by_region(
                "select coalesce(cast(school_number as varchar), 'none'), sum(lines)"
                " from kipptaf.fct_payroll_by_location group by 1"
            ),
        }


def _pushed_students(data_dir: Path, region: str) -> int:
    path = data_dir / "sandbox" / "sftp" / "autocomm" / region / "students.txt"
    return len(path.read_text().splitlines()) - 1  # less the header


def test_demo_matches_truth_and_reruns_safely():
    data_dir = make_data_dir("teamster-demo-")
    port_base = free_port_base()
    first = _demo(data_dir, port_base)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    truth = json.loads((data_dir / "sandbox" / "truth.json").read_text())
    assert _counts(data_dir) == truth["students_by_region"]
    assert "kipptaf" in first.stdout and "done" in first.stdout

    network = _network(data_dir)
    assert network["incidents"] == {
        r: v["incidents"] for r, v in truth["deanslist_by_region"].items()
    }  # incidents deleted in DeansList are left out
    assert network["behavior"] == {
        r: v["behavior"] for r, v in truth["deanslist_by_region"].items()
    }
    assert network["incidents_by_school"] == {
        (r, school): counts["incidents"]
        for r, schools in truth["deanslist_by_school"].items()
        for school, counts in schools.items()
        if counts["incidents"]
    }
    assert network["enrollment_records"] == {
        a: n for a, n in truth["enrollment_records_by_action"].items() if n
    }
    assert network["enrollment_submissions"] == truth["enrollment_submitted_by_action"]
    assert network["iready"] == truth["iready_diagnostics_by_region"]
    assert network["iready_most_recent"] == truth["iready_most_recent_by_region"]
    assert network["iready_by_school"] == {
        f"{region}/{school}": n
        for region, schools in truth["iready_diagnostics_by_school"].items()
        for school, n in schools.items()
    }
    assert network["active_staff"] == truth["staff_by_home_location"]
    assert network["active_staff_by_school"] == truth["active_staff_by_school"]
    assert network["gl_lines"] == truth["adp_gl"]["lines"]
    assert network["gl_lines_by_school"] == truth["adp_gl"]["lines_by_school"]
    # every SQL region's PowerSchool received its enrolled students; Paterson nothing
    for region in ("kippnewark", "kippcamden", "kippmiami"):
        assert _pushed_students(data_dir, region) == truth["students_by_region"][region]
    assert not (data_dir / "sandbox" / "autocomm" / "kipppaterson.jsonl").exists()
    extracts = sorted(p.name for p in (data_dir / "tableau").rglob("*.parquet"))
    assert extracts == [
        f"rpt_tableau__{n}.parquet" for n in ("assessments", "attendance", "enrollment")
    ]

    second = _demo(data_dir, port_base)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    assert _counts(data_dir) == truth["students_by_region"]
