"""The sandbox's DeansList and Enrollment data: the same per seed, and a later day keeps
what an earlier one showed (changed only the way the real systems change it)."""

import datetime as dt

from sandbox.generator import World
from sandbox.vendors.deanslist import deanslist_school_id, school_number_for

EARLY, LATE = dt.date(2026, 10, 15), dt.date(2026, 11, 25)


def _incidents(district) -> dict[str, dict]:
    return {
        i["IncidentID"]: i
        for schools in district.deanslist.values()
        for endpoints in schools.values()
        for i in endpoints["incidents"]
    }


def _behavior(district) -> dict[str, dict]:
    return {
        b["DLSAID"]: b
        for schools in district.deanslist.values()
        for endpoints in schools.values()
        for b in endpoints["behavior"]
    }


def test_same_seed_same_feeds():
    a, b = World(seed=3, scale=0.03).view(LATE), World(seed=3, scale=0.03).view(LATE)
    assert a.deanslist == b.deanslist
    assert (a.enrollment_actions, a.enrollment_submissions) == (
        b.enrollment_actions,
        b.enrollment_submissions,
    )
    assert World(seed=4, scale=0.03).view(LATE).deanslist != a.deanslist


def test_deanslist_school_ids_are_deanslists_own():
    world = World(seed=3, scale=0.03)
    district = world.view(LATE)
    for name, region in world.regions.items():
        numbers = {s["school_number"] for s in region.schools}
        for dl_id in district.deanslist[name]:
            assert school_number_for(dl_id) in numbers
            assert dl_id not in numbers  # a join on the wrong id finds nothing
            assert deanslist_school_id(school_number_for(dl_id)) == dl_id


def test_a_later_day_keeps_deanslist_and_adds_to_it():
    world = World(seed=9, scale=0.05)
    early, late = world.view(EARLY), world.view(LATE)
    before, after = _incidents(early), _incidents(late)
    assert set(before) < set(after)  # incidents are never removed, deleted ones included
    for ident, incident in before.items():
        later = after[ident]
        for fixed in ("IssueTS", "CreateTS", "StudentSchoolID", "SchoolID", "Category"):
            assert later[fixed] == incident[fixed], (ident, fixed)
        if later != incident:  # closed or deleted since: the change stamps move
            assert later["UpdateTS"]["date"] > incident["UpdateTS"]["date"], ident
        if not incident["IsActive"]:
            assert not later["IsActive"]  # a deletion is never undone
    assert any(not i["IsActive"] for i in after.values())
    assert any(i["CloseTS"] and not before.get(k, {}).get("CloseTS") for k, i in after.items())
    behavior_before, behavior_after = _behavior(early), _behavior(late)
    gone = set(behavior_before) - set(behavior_after)  # deleted in DeansList since
    assert len(behavior_after) > len(behavior_before) and len(gone) < len(behavior_before) / 10
    assert all(behavior_after[k] == v for k, v in behavior_before.items() if k not in gone)


def test_a_later_day_keeps_enrollment_records_and_moves_them_on():
    world = World(seed=9, scale=0.05)
    early, late = world.view(EARLY), world.view(LATE)
    assert all(a in late.enrollment_actions for a in early.enrollment_actions)
    assert len(late.enrollment_actions) > len(early.enrollment_actions)  # a form opened since
    for action, rows in early.enrollment_submissions.items():
        later = {r["id"]: r for r in late.enrollment_submissions[action]}
        assert set(later) >= {r["id"] for r in rows}
        for r in rows:
            now = later[r["id"]]
            assert now["imported"] == r["imported"]
            if r["submitted"]:
                assert now == r  # a submitted form does not change
            if r["started"]:
                assert now["started"] == r["started"]
    submitted = [
        sum(r["submitted"] is not None for rows in d.enrollment_submissions.values() for r in rows)
        for d in (early, late)
    ]
    assert submitted[1] > submitted[0]
