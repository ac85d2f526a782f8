"""kipppaterson: PowerSchool SIS (CSV drops over SFTP), DeansList, i-Ready and the
regional dbt project."""

from pathlib import Path

from teamster.code_locations.regional import build_regional_definitions

defs = build_regional_definitions("kipppaterson", Path(__file__).parent / "config")
