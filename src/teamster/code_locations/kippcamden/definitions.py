"""kippcamden: PowerSchool SIS (SQL through the SSH tunnel), DeansList, i-Ready,
the regional dbt project, and the AutoComm push to its PowerSchool."""

from pathlib import Path

from teamster.code_locations.regional import build_regional_definitions

defs = build_regional_definitions("kippcamden", Path(__file__).parent / "config")
