"""Property tests of the matchmaking scheduling core (pure: no app, no database).

Random small instances (hypothesis) go through ``solve``, ``greedy`` and repeated ``earliest``
bookings; every schedule must pass the independent checker, keep the locked meetings, and on
tiny instances ``solve`` must match an exhaustive search. The checker itself is shown to fail
on hand-made invalid schedules, and the left-out reasons are checked on hand-made cases.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matchmaking.checker import verify
from matchmaking.lpbound import lp_bound
from matchmaking.scheduler import (
    REASONS,
    Instance,
    Placement,
    Request,
    Result,
    Slot,
    earliest,
    greedy,
    left_out_reasons,
    solve,
)

T0 = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _transaction():
    """These tests are pure: replace the suite's per-test database transaction (no app)."""
    yield


def minutes(m: int) -> datetime:
    return T0 + timedelta(minutes=m)


# --- an independent validity test for the exhaustive search and ``earliest`` ---------------


def overlapping(s: Slot, t: Slot) -> bool:
    return s.id == t.id or (s.start < t.end and t.start < s.end)


def fits(inst: Instance, placed: list[Placement], new: Placement) -> bool:
    """May ``new`` join the valid schedule ``placed``?"""
    slots = {s.id: s for s in inst.slots}
    req = {r.id: r for r in inst.requests}
    r, s = req[new.request_id], slots[new.slot_id]
    if any(s.id in inst.unavailable.get(p, set()) for p in (r.a, r.b)):
        return False
    own = [inst.fixed_table[p] for p in (r.a, r.b) if p in inst.fixed_table]
    if own and new.table_id not in own:
        return False
    if not own and new.table_id in inst.fixed_table.values():
        return False  # a table fixed to someone hosts only their meetings
    for p in (r.a, r.b):
        mine = [q for q in placed if p in (req[q.request_id].a, req[q.request_id].b)]
        if p in inst.caps and len(mine) >= inst.caps[p]:
            return False
        if any(overlapping(s, slots[q.slot_id]) for q in mine):
            return False
    return not any(q.table_id == new.table_id and overlapping(s, slots[q.slot_id]) for q in placed)


def brute_force(inst: Instance) -> int:
    """The best weight over every valid schedule (exhaustive; tiny instances only)."""
    return brute_force_earliest(inst)[0]


def start_rank(inst: Instance) -> dict[int, int]:
    """slot id -> rank of its start among the distinct slot starts (0 = the first)."""
    starts = sorted({s.start for s in inst.slots})
    return {s.id: starts.index(s.start) for s in inst.slots}


def brute_force_earliest(inst: Instance, only: set[int] | None = None) -> tuple[int, int]:
    """(best weight, least sum of start ranks of the unlocked meetings among the schedules of
    that weight), over every valid schedule (exhaustive; tiny instances only). With ``only``,
    over the schedules that place exactly those requests."""
    locked_ids = {p.request_id for p in inst.locked}
    todo = [r for r in inst.requests if r.id not in locked_ids]
    if only is not None:
        todo = [r for r in todo if r.id in only]
    options = [(s.id, t) for s in inst.slots for t in inst.tables]
    rank = start_rank(inst)
    best = (0, 0)  # (weight, -rank sum)

    def go(k: int, placed: list[Placement], weight: int, ranks: int) -> None:
        nonlocal best
        if (weight + sum(r.weight for r in todo[k:]), -ranks) <= best:
            return
        if k == len(todo):
            best = (weight, -ranks)
            return
        r = todo[k]
        for sid, t in options:
            p = Placement(r.id, sid, t)
            if fits(inst, placed, p):
                go(k + 1, [*placed, p], weight + r.weight, ranks + rank[sid])
        if only is None:
            go(k + 1, placed, weight, ranks)

    locked_w = sum(r.weight for r in inst.requests if r.id in locked_ids)
    go(0, list(inst.locked), locked_w, 0)
    return best[0], -best[1]


def as_result(inst: Instance, placements: list[Placement]) -> Result:
    """A Result for a schedule built outside ``solve`` (for the checker)."""
    req = {r.id: r for r in inst.requests}
    at = {p.request_id: (p.slot_id, p.table_id) for p in placements}
    locked = {p.request_id for p in inst.locked}
    moved = sum(
        1
        for rid, p in inst.previous.items()
        if rid in req and rid not in locked and at.get(rid) != (p.slot_id, p.table_id)
    )
    return Result(
        placements=list(placements),
        left_out=left_out_reasons(inst, placements),
        objective=sum(req[p.request_id].weight for p in placements),
        bound=None,
        optimal=False,
        solver="test",
        wall_s=0.0,
        moved=moved,
    )


# --- random instances -----------------------------------------------------------------------


@st.composite
def instances(draw, tiny: bool = False, tangled: bool = False) -> Instance:
    """Random instances; ``tiny`` ones for the exhaustive search; ``tangled`` ones have
    sessions of different slot lengths overlapping in time, few tables, fixed ones among them
    and locked meetings (which pre-assign shared tables: where the per-instant table count is
    not enough and tables must be modelled)."""
    n_a = draw(st.integers(2, 3 if tiny else 8))
    n_b = draw(st.integers(2, 3 if tiny else 8))
    side_a = list(range(1, n_a + 1))
    side_b = list(range(101, 101 + n_b))
    slots: list[Slot] = []
    n_sessions = draw(st.integers(1, 2 if tiny else 3))
    overlap = tangled or draw(st.booleans())
    if tangled:
        n_sessions = max(2, n_sessions)
    for sess in range(n_sessions):
        n = draw(st.integers(1 if tiny else 2, 2 if tiny else 6))
        length = draw(st.sampled_from([20, 30] if tangled else [15, 20, 30]))
        start = draw(st.integers(0, 60)) * 5 if overlap else sess * 300
        for k in range(n):
            at = start + k * length
            slots.append(Slot(1000 * (sess + 1) + k, minutes(at), minutes(at + length), sess + 1))
    if tiny:
        slots = slots[:4]
    most = 2 if tiny else 3 if tangled else 4
    tables = draw(
        st.lists(st.integers(1, 50), min_size=2 if tangled else 1, max_size=most, unique=True)
    )
    pairs = [(a, b) for a in side_a for b in side_b]
    chosen = draw(
        st.lists(st.sampled_from(pairs), min_size=1, max_size=5 if tiny else 20, unique=True)
    )
    requests = [Request(i + 1, a, b, draw(st.integers(1, 3))) for i, (a, b) in enumerate(chosen)]
    persons = side_a + side_b
    ids = [s.id for s in slots]
    unavailable = {}
    for p in persons:
        if draw(st.integers(0, 2)) == 0:
            unavailable[p] = draw(st.sets(st.sampled_from(ids), max_size=max(1, len(ids) // 2)))
    fixed_people = draw(
        st.lists(
            st.sampled_from(persons),
            min_size=1 if tangled else 0,
            max_size=len(tables),
            unique=True,
        )
    )
    fixed_table = dict(zip(fixed_people, draw(st.permutations(tables)), strict=False))
    caps = {p: draw(st.integers(0, 3)) for p in persons if draw(st.integers(0, 3)) == 0}
    inst = Instance(slots, tables, requests, fixed_table, unavailable, caps)
    # Locked: a random part of a greedy schedule of a random part of the requests (valid).
    part = draw(st.lists(st.sampled_from(requests), unique=True, max_size=len(requests)))
    done = greedy(dataclasses.replace(inst, requests=part)).placements
    least = 1 if tangled else 0
    inst.locked = draw(st.lists(st.sampled_from(done), min_size=least, unique=True)) if done else []
    # Previous: part of another greedy schedule, plus the odd placement that may not fit at all.
    before = greedy(inst).placements
    kept = draw(st.lists(st.sampled_from(before), unique=True)) if before else []
    previous = {p.request_id: p for p in kept}
    for r in draw(st.lists(st.sampled_from(requests), max_size=2)):
        previous[r.id] = Placement(r.id, draw(st.sampled_from(ids)), draw(st.sampled_from(tables)))
    inst.previous = previous
    return inst


def assert_valid(inst: Instance, res: Result) -> None:
    assert verify(inst, res) == []
    placed = set(res.placements)
    assert all(p in placed for p in inst.locked)
    assert set(res.left_out.values()) <= set(REASONS)


@settings(max_examples=250, deadline=None)
@given(instances())
def test_solve_and_greedy_are_valid_and_ordered(inst):
    res = solve(inst, time_limit=2.0, workers=1)
    assert_valid(inst, res)
    low = greedy(inst)
    assert_valid(inst, low)
    assert low.objective <= res.objective <= lp_bound(inst) + 1e-6
    if res.bound is not None:
        assert res.objective <= res.bound + 1e-6
    if res.optimal:
        assert res.objective == pytest.approx(res.bound)


@settings(max_examples=250, deadline=None)
@given(instances(tangled=True))
def test_tangled_overlapping_sessions(inst):
    res = solve(inst, time_limit=2.0, workers=1)
    assert_valid(inst, res)
    assert greedy(inst).objective <= res.objective <= lp_bound(inst) + 1e-6


@settings(max_examples=150, deadline=None)
@given(instances(tiny=True))
def test_solve_matches_exhaustive_search(inst):
    res = solve(inst, time_limit=2.0, workers=1)
    assert_valid(inst, res)
    best = brute_force(inst)
    assert res.objective == best
    assert res.optimal
    assert greedy(inst).objective <= best <= lp_bound(inst) + 1e-6


@settings(max_examples=150, deadline=None)
@given(instances())
def test_repeated_earliest_bookings(inst):
    cur = inst
    for r in inst.requests:
        if any(p.request_id == r.id for p in cur.locked):
            continue
        p = earliest(cur, r)
        if p is None:
            assert not any(
                fits(cur, cur.locked, Placement(r.id, s.id, t))
                for s in cur.slots
                for t in cur.tables
            )
            continue
        assert fits(cur, cur.locked, p)
        at = next(s for s in cur.slots if s.id == p.slot_id)
        for s in cur.slots:  # nothing earlier, and no lower table in that slot
            for t in cur.tables:
                lower = cur.tables.index(t) < cur.tables.index(p.table_id)
                if s.start < at.start or (s.id == at.id and lower):
                    assert not fits(cur, cur.locked, Placement(r.id, s.id, t))
        cur = dataclasses.replace(cur, locked=[*cur.locked, p])
    assert_valid(cur, as_result(cur, cur.locked))


@settings(max_examples=20, deadline=None)
@given(instances())
def test_greedy_is_deterministic(inst):
    assert greedy(inst).placements == greedy(inst).placements


# --- hand-made cases ------------------------------------------------------------------------


def slot(sid: int, start: int, length: int = 20, session: int = 1) -> Slot:
    return Slot(sid, minutes(start), minutes(start + length), session)


def test_fixed_tables_host_only_their_owners_meetings():
    """Tables 1 and 2 are fixed to persons 1 and 2, table 3 to nobody. In the one slot,
    person 1's meeting takes table 1, person 2's table 2, and only one of the three meetings
    without a fixed-table party finds a seat (table 3): tables 1 and 2 are not theirs."""
    inst = Instance(
        slots=[slot(1, 0)],
        tables=[1, 2, 3],
        requests=[
            Request(1, 1, 11, 1),
            Request(2, 12, 2, 1),
            Request(3, 3, 13, 2),
            Request(4, 4, 14, 1),
            Request(5, 5, 15, 1),
        ],
        fixed_table={1: 1, 2: 2},
    )
    assert brute_force(inst) == 4
    assert lp_bound(inst) == pytest.approx(4)
    for res in (solve(inst, time_limit=2.0, workers=1), greedy(inst)):
        assert_valid(inst, res)
        assert set(res.placements) == {Placement(1, 1, 1), Placement(2, 1, 2), Placement(3, 1, 3)}
        assert res.left_out == {4: "full", 5: "full"}
    # Instant booking: a stranger never gets a fixed table, even a free one.
    free = dataclasses.replace(inst, locked=[Placement(3, 1, 3)])
    assert earliest(free, inst.requests[3]) is None
    assert earliest(free, inst.requests[0]) == Placement(1, 1, 1)


def test_a_meeting_of_two_table_owners_takes_either_table():
    """Persons 1 and 2 both own a table. A locked meeting of two others sits at table 1 in
    slot 1 (placed before the table was fixed: the checker lets a given placement be), so
    the meeting of 1 and 2 takes table 2 there; the meeting of 3, who owns no table, takes
    the shared table 3, and the one of 4 finds no table left."""
    inst = Instance(
        slots=[slot(1, 0), slot(2, 20)],
        tables=[1, 2, 3],
        requests=[
            Request(1, 5, 15, 1),
            Request(2, 1, 2, 3),
            Request(3, 3, 13, 2),
            Request(4, 4, 14, 1),
        ],
        fixed_table={1: 1, 2: 2},
        unavailable={1: {2}, 2: {2}, 3: {2}, 4: {2}},
        locked=[Placement(1, 1, 1)],
    )
    assert brute_force(inst) == 6
    assert lp_bound(inst) == pytest.approx(6)
    for res in (solve(inst, time_limit=2.0, workers=1), greedy(inst)):
        assert_valid(inst, res)
        assert set(res.placements) == {Placement(1, 1, 1), Placement(2, 1, 2), Placement(3, 1, 3)}
        assert res.left_out == {4: "full"}


def test_locked_meetings_pinning_shared_tables_across_overlaps_need_real_tables():
    """Slot B overlaps A and C, which do not overlap each other. A locked meeting holds
    table 1 next to A (not B), another table 2 next to C (not B): the per-instant count
    (two tables for A+B and for B+C) allows a meeting in each of A, B, C, but A must take
    table 2 and C table 1, leaving B none."""
    inst = Instance(
        slots=[
            slot(1, 0, 6, 1),  # the first locked meeting, overlapping A only
            slot(2, 0, 10, 2),  # A
            slot(3, 6, 10, 3),  # B
            slot(4, 12, 10, 4),  # C
            slot(5, 20, 10, 5),  # the second locked meeting, overlapping C only
        ],
        tables=[1, 2],
        requests=[
            Request(1, 1, 11, 1),
            Request(2, 2, 12, 1),
            Request(3, 3, 13, 1),  # A only
            Request(4, 4, 14, 2),  # B only
            Request(5, 5, 15, 1),  # C only
        ],
        unavailable={
            3: {1, 3, 4, 5},
            4: {1, 2, 4, 5},
            5: {1, 2, 3, 5},
        },
        locked=[Placement(1, 1, 1), Placement(2, 5, 2)],
    )
    assert brute_force(inst) == 5
    for res in (solve(inst, time_limit=2.0, workers=1), greedy(inst)):
        assert_valid(inst, res)
        assert res.objective == 5
        assert len(res.left_out) == 1 and set(res.left_out.values()) == {"full"}
    assert lp_bound(inst) >= 5 - 1e-6


def test_solve_prefers_earlier_slots_among_equal_weights():
    """Three free slots, two tables, four requests of four different pairs: every schedule
    placing all four has the same weight; the earliest one fills slot 1, then slot 2."""
    inst = Instance(
        slots=[slot(1, 0), slot(2, 20), slot(3, 40)],
        tables=[1, 2],
        requests=[Request(i, i, 10 + i, 1) for i in range(1, 5)],
        unavailable={4: {1}},  # greedy's scarcest-first order would not matter either
    )
    res = solve(inst, time_limit=2.0, workers=1)
    assert_valid(inst, res)
    assert res.objective == 4
    assert sorted(p.slot_id for p in res.placements) == [1, 1, 2, 2]
    assert brute_force_earliest(inst) == (4, 2)


def test_solve_moves_meetings_early_after_the_weight_is_fixed():
    """Previous placements that can no longer stay (their slot is gone for a party) do not
    keep the schedule late: the meetings go to the earliest slots once the weight is fixed."""
    inst = Instance(
        slots=[slot(1, 0), slot(2, 20), slot(3, 40), slot(4, 60)],
        tables=[1],
        requests=[Request(1, 1, 11, 2), Request(2, 2, 12, 2), Request(3, 1, 12, 1)],
        unavailable={11: {3}, 12: {4}},
        previous={1: Placement(1, 3, 1), 2: Placement(2, 4, 1)},
    )
    res = solve(inst, time_limit=2.0, workers=1)
    assert_valid(inst, res)
    assert res.objective == 5
    assert sorted(p.slot_id for p in res.placements) == [1, 2, 3]


@settings(max_examples=100, deadline=None)
@given(instances(tiny=True))
def test_solve_takes_the_earliest_slots_for_the_requests_it_places(inst):
    """The weight is the best there is; for the requests chosen, the slots are the earliest
    (the secondary aims work on the chosen requests: another set of the same weight that could
    sit earlier is not looked for)."""
    inst.previous = {}  # kept previous slots come first; without them, earliness
    res = solve(inst, time_limit=2.0, workers=1)
    assert_valid(inst, res)
    rank = start_rank(inst)
    locked = set(inst.locked)
    ranks = sum(rank[p.slot_id] for p in res.placements if p not in locked)
    assert res.objective == brute_force_earliest(inst)[0]
    placed = {p.request_id for p in res.placements if p not in locked}
    assert (res.objective, ranks) == brute_force_earliest(inst, only=placed)


def checker_case() -> tuple[Instance, Result]:
    """Slots 1 and 2 of one session; slot 3 of another session overlaps both."""
    inst = Instance(
        slots=[slot(1, 0), slot(2, 20), slot(3, 10, 20, 2)],
        tables=[1, 2, 3],
        requests=[
            Request(1, 1, 11, 3),
            Request(2, 2, 12, 2),
            Request(3, 1, 12, 1),
            Request(4, 3, 13, 1),
            Request(5, 4, 14, 1),
        ],
        fixed_table={3: 3},
        unavailable={2: {2}},
        caps={1: 2},
        locked=[Placement(1, 1, 1)],
        previous={2: Placement(2, 1, 2)},
    )
    good = [(1, 1, 1), (2, 1, 2), (3, 2, 1), (4, 3, 3), (5, 2, 2)]
    res = as_result(inst, [Placement(*p) for p in good])
    assert res.left_out == {}
    assert res.objective == 8
    return inst, res


def test_checker_accepts_a_valid_schedule():
    inst, res = checker_case()
    assert verify(inst, res) == []


GOOD = [(1, 1, 1), (2, 1, 2), (3, 2, 1), (4, 3, 3), (5, 2, 2)]


@pytest.mark.parametrize(
    ("placements", "changes", "expected"),
    [
        # request 3 (person 1) moved into slot 1, where person 1 meets for request 1
        ([(1, 1, 1), (2, 1, 2), (3, 1, 3), (4, 3, 3), (5, 2, 2)], {}, "person 1 is double"),
        # requests 3 and 5 both at table 1 in slot 2
        ([(1, 1, 1), (2, 1, 2), (3, 2, 1), (4, 3, 3), (5, 2, 1)], {}, "table 1 is double"),
        # request 5 in slot 3 at table 1, which requests 1 and 3 use in overlapping slots
        (
            [(1, 1, 1), (2, 1, 2), (3, 2, 1), (4, 3, 3), (5, 3, 1)],
            {},
            "table 1 is double-booked: request 1 in slot 1 and request 5 in slot 3",
        ),
        # request 3 in slot 3, overlapping request 1's slot 1 (request 4 left out)
        (
            [(1, 1, 1), (2, 1, 2), (3, 3, 3), (5, 2, 1)],
            {"objective": 7},
            "person 1 is double-booked: request 1 in slot 1 and request 3 in slot 3",
        ),
        # person 2 is unavailable in slot 2 (request 3 left out)
        ([(1, 1, 1), (2, 2, 2), (4, 3, 3), (5, 2, 1)], {"objective": 7}, "unavailable"),
        # person 3 has the fixed table 3
        ([(1, 1, 1), (2, 1, 2), (3, 2, 1), (4, 2, 2), (5, 2, 3)], {}, "fixed table"),
        # the locked request 1 moved to table 3
        ([(1, 1, 3), (2, 1, 2), (3, 2, 1), (4, 3, 3), (5, 2, 2)], {}, "locked request 1"),
        (GOOD, {"objective": 9}, "objective 9 differs"),
        (GOOD, {"moved": 1}, "moved 1 differs"),
        ([*GOOD[:4], (5, 9, 2)], {}, "unknown slot"),
        ([*GOOD[:4], (5, 2, 9)], {}, "unknown table"),
        ([*GOOD, (5, 2, 2)], {}, "request 5 is placed more than once"),
    ],
)
def test_checker_reports_each_broken_rule(placements, changes, expected):
    inst, res = checker_case()
    broken = dataclasses.replace(res, placements=[Placement(*p) for p in placements], **changes)
    problems = verify(inst, broken)
    assert any(expected in p for p in problems), problems


def test_checker_reports_a_stranger_at_a_fixed_table():
    """Table 1 is fixed to person 1, who has no meeting: a meeting of two others there is
    invalid, although every other rule holds (the old rule only checked fixed-table
    persons' own meetings)."""
    inst = Instance(
        slots=[slot(1, 0)],
        tables=[1, 2],
        requests=[Request(1, 2, 12, 1)],
        fixed_table={1: 1},
    )
    res = as_result(inst, [Placement(1, 1, 1)])
    problems = verify(inst, res)
    assert any("table 1, which is fixed to person(s) [1]" in p for p in problems), problems
    assert verify(inst, as_result(inst, [Placement(1, 1, 2)])) == []
    # Given (locked) placements are only checked to be kept: one made before the table was
    # fixed stays acceptable; with the shared table 2 locked, a stranger has no table left
    # (table 1, free, is not theirs).
    locked = dataclasses.replace(inst, locked=[Placement(1, 1, 1)])
    assert verify(locked, as_result(locked, [Placement(1, 1, 1)])) == []
    crowded = dataclasses.replace(
        inst, requests=[*inst.requests, Request(2, 3, 13, 1)], locked=[Placement(1, 1, 2)]
    )
    res = as_result(crowded, [Placement(1, 1, 2)])
    assert res.left_out == {2: "locked_conflict"}
    assert verify(crowded, res) == []


def test_checker_reports_a_cap_exceeded():
    inst, res = checker_case()
    inst.caps = {1: 1}
    assert any("person 1 has 2 meetings, over the cap 1" in p for p in verify(inst, res))


def test_checker_reports_bad_left_out():
    inst, res = checker_case()
    base = {"placements": res.placements[:4], "objective": 7}  # request 5 not placed
    assert verify(inst, dataclasses.replace(res, left_out={5: "full"}, **base)) != []
    cases = {
        None: "without a reason",
        "cap": "neither party has reached",
        "full": "fits in slot 2",
        "no_common_slot": "suits both",
        "locked_conflict": "no locked meeting rules out",
        "busy": "unknown reason",
    }
    for code, expected in cases.items():
        left_out = {} if code is None else {5: code}
        problems = verify(inst, dataclasses.replace(res, left_out=left_out, **base))
        assert any(expected in p for p in problems), (code, problems)
    extra = dataclasses.replace(res, left_out={1: "full"})
    assert any("placed or unknown" in p for p in verify(inst, extra))


def reasons_case() -> Instance:
    return Instance(
        slots=[slot(1, 0), slot(2, 20)],
        tables=[1],
        requests=[
            Request(1, 1, 11, 3),  # locked in slot 1
            Request(2, 1, 12, 1),  # 12 is only free in slot 1, where 1 is locked
            Request(3, 2, 13, 1),  # 2 and 13 are never free at the same time
            Request(4, 3, 14, 2),  # placed in slot 2
            Request(5, 3, 15, 1),  # 3 has reached their cap of 1
            Request(6, 4, 16, 1),  # the one table is taken in both slots
        ],
        unavailable={12: {2}, 2: {1}, 13: {2}},
        caps={3: 1},
        locked=[Placement(1, 1, 1)],
    )


def test_left_out_reasons():
    inst = reasons_case()
    expected = {2: "locked_conflict", 3: "no_common_slot", 5: "cap", 6: "full"}
    for res in (solve(inst, time_limit=2.0, workers=1), greedy(inst)):
        assert_valid(inst, res)
        assert res.placements == [Placement(1, 1, 1), Placement(4, 2, 1)]
        assert res.left_out == expected
    assert left_out_reasons(inst, [Placement(1, 1, 1), Placement(4, 2, 1)]) == expected


def test_earliest_respects_locked_caps_and_fixed_tables():
    inst = reasons_case()
    assert earliest(inst, Request(9, 3, 20, 1)) == Placement(9, 2, 1)
    inst.locked.append(Placement(4, 2, 1))
    assert earliest(inst, Request(9, 30, 20, 1)) is None  # both slots' one table taken
    assert earliest(inst, Request(5, 3, 15, 1)) is None  # cap reached
    inst.tables = [1, 7]
    inst.fixed_table = {30: 7}
    assert earliest(inst, Request(9, 30, 20, 1)) == Placement(9, 1, 7)
    inst.tables, inst.fixed_table = [7, 1], {}  # "lowest" follows the order of ``tables``
    assert earliest(inst, Request(9, 30, 20, 1)) == Placement(9, 1, 7)


@settings(max_examples=60, deadline=None)
@given(instances())
def test_solve_keeps_previous_placements_when_nothing_changed(inst):
    first = solve(inst, time_limit=2.0, workers=1)
    again = dataclasses.replace(inst, previous={p.request_id: p for p in first.placements})
    second = solve(again, time_limit=2.0, workers=1)
    assert_valid(again, second)
    assert second.objective == first.objective
    if first.optimal:
        assert second.moved == 0
