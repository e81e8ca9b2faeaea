"""An independent upper bound on the weight a schedule can reach: an LP relaxation solved by HiGHS.

Built from the instance directly (it shares no code with the CP-SAT model in
``matchmaking.scheduler``), so the benchmark can judge the solver against it.

Variables ``0 <= x[r, s] <= 1`` for every request ``r`` that is not locked and every slot ``s``
it could possibly take in some valid schedule: neither party is unavailable in ``s`` nor has a
locked meeting in a slot overlapping ``s``; an allowed table (the parties' fixed tables, if
any, else the *shared* tables, those fixed to nobody: a fixed table hosts only its owner's
meetings) is not held by a locked meeting in a slot overlapping ``s``; and both parties have
room left under their caps. Rows, each satisfied by every valid schedule:

* per request: ``sum_s x[r, s] <= 1``;
* per person and per set of mutually overlapping slots (the slots running at one instant;
  the maximal ones are those running at some slot's start): at most one meeting;
* per such set of slots: meetings without a fixed-table party ``<=`` shared tables not held
  there by a locked meeting (a table serves one meeting at a time; meetings with a
  fixed-table party sit at fixed tables, bounded by their owners' rows);
* per capped person: meetings ``<=`` cap minus their locked meetings.

The LP optimum plus the weight of the locked meetings bounds every valid schedule's weight.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import csr_matrix

if TYPE_CHECKING:  # the data classes only; no code shared with the solver
    from matchmaking.scheduler import Instance


def lp_bound(instance: Instance) -> float:
    """The LP relaxation's optimum plus the locked weight (an upper bound on the objective)."""
    slots = list(instance.slots)
    weight_of = {r.id: r.weight for r in instance.requests}
    people = {r.id: (r.a, r.b) for r in instance.requests}
    tables = set(instance.tables)
    owned = set(instance.fixed_table.values())
    shared = tables - owned

    def overlap(s, t) -> bool:
        return s.id == t.id or (s.start < t.end and t.start < s.end)

    instants = sorted({s.start for s in slots})
    groups = []
    for moment in instants:
        running = frozenset(s.id for s in slots if s.start <= moment < s.end)
        if running:
            groups.append(running)
    groups += [frozenset([s.id]) for s in slots if not s.start < s.end]
    groups = sorted(set(groups), key=sorted)
    groups_of = defaultdict(list)
    for g, members in enumerate(groups):
        for sid in members:
            groups_of[sid].append(g)

    locked_ids = {p.request_id for p in instance.locked}
    locked_weight = sum(weight_of[rid] for rid in locked_ids)
    slot_by_id = {s.id: s for s in slots}
    person_held = defaultdict(set)  # person -> slot ids overlapping one of their locked meetings
    table_held = defaultdict(set)  # slot id -> tables locked in an overlapping slot
    locked_in_group = defaultdict(int)
    locked_meetings = defaultdict(int)
    for p in instance.locked:
        here = slot_by_id[p.slot_id]
        for s in slots:
            if overlap(here, s):
                for person in people[p.request_id]:
                    person_held[person].add(s.id)
                table_held[s.id].add(p.table_id)
        for g in groups_of[p.slot_id]:
            locked_in_group[g] += p.table_id in shared
        for person in people[p.request_id]:
            locked_meetings[person] += 1
    cap_left = {p: c - locked_meetings[p] for p, c in instance.caps.items()}

    columns = []  # (request id, slot id)
    for r in instance.requests:
        if r.id in locked_ids:
            continue
        if any(cap_left.get(p, 1) <= 0 for p in (r.a, r.b)):
            continue
        fixed = {instance.fixed_table[p] for p in (r.a, r.b) if p in instance.fixed_table}
        usable = fixed & tables if fixed else shared
        for s in slots:
            if any(s.id in instance.unavailable.get(p, ()) for p in (r.a, r.b)):
                continue
            if s.id in person_held[r.a] or s.id in person_held[r.b]:
                continue
            if not usable - table_held[s.id]:
                continue
            columns.append((r.id, s.id))
    if not columns:
        return float(locked_weight)

    rows: dict[tuple, list[int]] = defaultdict(list)
    limit: dict[tuple, int] = {}
    fixed_party = {r.id for r in instance.requests if {r.a, r.b} & set(instance.fixed_table)}
    for col, (rid, sid) in enumerate(columns):
        rows["request", rid].append(col)
        limit["request", rid] = 1
        for person in people[rid]:
            if person in cap_left:
                rows["cap", person].append(col)
                limit["cap", person] = cap_left[person]
        for g in groups_of[sid]:
            if rid not in fixed_party:
                rows["tables", g].append(col)
                limit["tables", g] = max(0, len(shared) - locked_in_group[g])
            for person in people[rid]:
                rows["person", person, g].append(col)
                limit["person", person, g] = 1
    data, indices, indptr, rhs = [], [], [0], []
    for key, cols in rows.items():
        if len(cols) <= limit[key]:
            continue  # never binding
        indices.extend(cols)
        data.extend([1.0] * len(cols))
        indptr.append(len(indices))
        rhs.append(float(limit[key]))
    cost = -np.array([float(weight_of[rid]) for rid, _ in columns])
    if rhs:
        a_ub = csr_matrix((data, indices, indptr), shape=(len(rhs), len(columns)))
        res = linprog(cost, A_ub=a_ub, b_ub=np.array(rhs), bounds=(0, 1), method="highs-ipm")
    else:
        res = linprog(cost, bounds=(0, 1), method="highs-ipm")
    if res.status != 0:
        raise RuntimeError(f"LP bound failed: {res.message}")
    return float(-res.fun) + locked_weight
