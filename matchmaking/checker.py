"""An independent checker for matchmaking schedules.

Written straight from the rules, sharing no helper with the solver (``matchmaking.scheduler``),
so that a bug in one is not repeated in the other. ``verify`` returns human-readable problems;
an empty list means the result is a valid schedule with an honest summary:

* every placement names a known request, slot and table; no request is placed twice;
* nobody is in two meetings in the same slot or in slots whose ``[start, end)`` overlap;
* no table holds two meetings in the same slot or in overlapping slots;
* nobody meets in a slot they are unavailable in;
* a meeting with a fixed-table person is at (one of) the fixed table(s) of its parties, and a
  table fixed to a person hosts only meetings that person is a party to (both rules bind the
  placements the schedule makes; a locked placement is given — it may predate a table being
  fixed — and is only checked to be kept exactly);
* nobody has more meetings than their cap; every locked placement is present, unchanged;
* ``objective`` is the sum of the placed weights, ``moved`` the number of previous (unlocked)
  placements not kept exactly; ``left_out`` names exactly the unplaced requests, each with
  a known reason code whose claim holds (``cap``: a party has reached their cap;
  ``no_common_slot``: no slot both parties are available in; ``locked_conflict``: such slots
  exist but locked meetings rule each out; ``full``: the request fits nowhere as placed). A
  request may use its parties' fixed tables if any, else the tables fixed to nobody.
"""

from __future__ import annotations

from collections import defaultdict
from itertools import combinations
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the data classes only; no code shared with the solver
    from matchmaking.scheduler import Instance, Result

CODES = ("locked_conflict", "cap", "no_common_slot", "full")


def _clash(s, t) -> bool:
    """Same slot, or time intervals [start, end) that overlap."""
    return s.id == t.id or (s.start < t.end and t.start < s.end)


def verify(instance: Instance, result: Result) -> list[str]:
    problems: list[str] = []
    slots = {s.id: s for s in instance.slots}
    requests = {r.id: r for r in instance.requests}
    tables = set(instance.tables)
    fixed = instance.fixed_table
    unavailable = instance.unavailable

    owners = defaultdict(list)
    for person, table in fixed.items():
        owners[table].append(person)
    for table, persons in owners.items():
        if len(persons) > 1:
            problems.append(f"table {table} is fixed to several persons {sorted(persons)}")

    good = []
    seen = set()
    for p in result.placements:
        if p.request_id not in requests:
            problems.append(f"placement {p} is for an unknown request")
            continue
        if p.slot_id not in slots:
            problems.append(f"placement {p} is in an unknown slot")
            continue
        if p.table_id not in tables:
            problems.append(f"placement {p} is at an unknown table")
        if p.request_id in seen:
            problems.append(f"request {p.request_id} is placed more than once")
        seen.add(p.request_id)
        good.append(p)

    locked_at = {(lp.request_id, lp.slot_id, lp.table_id) for lp in instance.locked}
    by_person = defaultdict(list)
    by_table = defaultdict(list)
    for p in good:
        r = requests[p.request_id]
        by_person[r.a].append(p)
        by_person[r.b].append(p)
        by_table[p.table_id].append(p)
        for person in (r.a, r.b):
            if p.slot_id in unavailable.get(person, ()):
                problems.append(
                    f"person {person} meets in slot {p.slot_id} (request {r.id}) "
                    "but is unavailable then"
                )
        if (p.request_id, p.slot_id, p.table_id) in locked_at:
            continue  # given, not chosen: only checked to be kept
        own = [fixed[person] for person in (r.a, r.b) if person in fixed]
        if own and p.table_id not in own:
            problems.append(
                f"request {r.id} is at table {p.table_id}, not at the fixed table(s) {own}"
            )
        strangers = [o for o in owners.get(p.table_id, ()) if o not in (r.a, r.b)]
        if strangers and not own:
            problems.append(
                f"request {r.id} (persons {r.a}, {r.b}) is at table {p.table_id}, which is "
                f"fixed to person(s) {sorted(strangers)}"
            )

    for person, meetings in by_person.items():
        for m1, m2 in combinations(meetings, 2):
            if _clash(slots[m1.slot_id], slots[m2.slot_id]):
                problems.append(
                    f"person {person} is double-booked: request {m1.request_id} in slot "
                    f"{m1.slot_id} and request {m2.request_id} in slot {m2.slot_id}"
                )
        cap = instance.caps.get(person)
        if cap is not None and len(meetings) > cap:
            problems.append(f"person {person} has {len(meetings)} meetings, over the cap {cap}")
    for table, meetings in by_table.items():
        for m1, m2 in combinations(meetings, 2):
            if _clash(slots[m1.slot_id], slots[m2.slot_id]):
                problems.append(
                    f"table {table} is double-booked: request {m1.request_id} in slot "
                    f"{m1.slot_id} and request {m2.request_id} in slot {m2.slot_id}"
                )

    where = {p.request_id: (p.slot_id, p.table_id) for p in good}
    locked_ids = set()
    for lp in instance.locked:
        locked_ids.add(lp.request_id)
        if lp.request_id not in requests:
            problems.append(f"locked placement {lp} is for a request not in the instance")
        elif where.get(lp.request_id) != (lp.slot_id, lp.table_id):
            problems.append(
                f"locked request {lp.request_id} must stay in slot {lp.slot_id} at table "
                f"{lp.table_id}, found at {where.get(lp.request_id)}"
            )

    total = sum(requests[p.request_id].weight for p in good)
    if result.objective != total:
        problems.append(f"objective {result.objective} differs from the placed weight {total}")
    moved = sum(
        1
        for rid, p in instance.previous.items()
        if rid in requests and rid not in locked_ids and where.get(rid) != (p.slot_id, p.table_id)
    )
    if result.moved != moved:
        problems.append(f"moved {result.moved} differs from the {moved} previous placements moved")

    unplaced = set(requests) - set(where)
    missing = unplaced - set(result.left_out)
    extra = set(result.left_out) - unplaced
    if missing:
        problems.append(f"unplaced requests without a reason: {sorted(missing)}")
    if extra:
        problems.append(f"left_out names requests that are placed or unknown: {sorted(extra)}")
    if unplaced & set(result.left_out):
        occupied = _occupancy(slots, requests, good)
        occupied_locked = _occupancy(slots, requests, instance.locked)
        counts = defaultdict(int)
        for p in good:
            counts[requests[p.request_id].a] += 1
            counts[requests[p.request_id].b] += 1
        for rid in sorted(unplaced & set(result.left_out)):
            claim = _claim_problem(
                instance,
                requests[rid],
                slots,
                result.left_out[rid],
                occupied,
                occupied_locked,
                counts,
            )
            if claim:
                problems.append(claim)
    return problems


def _occupancy(slots, requests, placements) -> dict:
    """slot id -> (persons, tables) in meetings of ``placements`` in clashing slots."""
    out = {sid: (set(), set()) for sid in slots}
    for p in placements:
        if p.request_id not in requests or p.slot_id not in slots:
            continue
        r = requests[p.request_id]
        for s in slots.values():
            if _clash(slots[p.slot_id], s):
                out[s.id][0].update((r.a, r.b))
                out[s.id][1].add(p.table_id)
    return out


def _claim_problem(instance, r, slots, code, occupied, occupied_locked, counts) -> str | None:
    """Why the reason ``code`` given for leaving ``r`` out is wrong, or None if it holds."""
    rid = r.id
    if code not in CODES:
        return f"request {rid} is left out with the unknown reason {code!r}"
    fixed = instance.fixed_table
    own = {fixed[p] for p in (r.a, r.b) if p in fixed}
    known = set(instance.tables)
    usable = own & known if own else known - set(fixed.values())
    both_free = [
        s
        for s in slots.values()
        if all(s.id not in instance.unavailable.get(p, ()) for p in (r.a, r.b))
    ]

    def ruled_out(s, occupancy) -> bool:
        """No room for ``r`` in slot ``s``: a party is busy, or every usable table is (and
        there is a usable table: with none, nothing rules ``r`` out, nothing fits it)."""
        persons, tables = occupancy[s.id]
        return r.a in persons or r.b in persons or bool(usable) and not (usable - tables)

    if code == "no_common_slot" and both_free:
        return f"request {rid} is left out as no_common_slot but slot {both_free[0].id} suits both"
    if code == "locked_conflict":
        if not both_free:
            return f"request {rid} is left out as locked_conflict but no slot suits both anyway"
        open_slot = next((s for s in both_free if not ruled_out(s, occupied_locked)), None)
        if open_slot is not None:
            return (
                f"request {rid} is left out as locked_conflict but no locked meeting rules out "
                f"slot {open_slot.id}"
            )
    at_cap = [p for p in (r.a, r.b) if p in instance.caps and counts[p] >= instance.caps[p]]
    if code == "cap" and not at_cap:
        return f"request {rid} is left out as cap but neither party has reached their cap"
    if code == "full" and not at_cap and usable:
        for s in both_free:
            if not ruled_out(s, occupied):
                return f"request {rid} is left out as full but fits in slot {s.id}"
    return None
