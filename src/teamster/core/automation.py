"""The automation-condition sensor each code location runs.

dbt models (and the pushes and workbooks downstream of them) carry automation
conditions: they rebuild when their parents have new data, whichever code location
materialized those parents. One sensor per location evaluates them; like every
sensor it starts stopped (see docs/automation.md).
"""

from dagster import AssetSelection, AutomationConditionSensorDefinition, DefaultSensorStatus


def automation_sensor(location: str) -> AutomationConditionSensorDefinition:
    return AutomationConditionSensorDefinition(
        name=f"{location}_automation",
        target=AssetSelection.all(),
        default_status=DefaultSensorStatus.STOPPED,
        minimum_interval_seconds=60,
    )
