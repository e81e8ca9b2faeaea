"""Pure scheduling core of investor matchmaking (no Flask, no database).

Participants are plain integer person ids. Accepted requests (pairs of persons with a weight:
3 must-meet, 2 mutual, 1 one-sided) are placed 1:1 at tables in time slots. Slots of different
sessions may overlap in time; two slots *conflict* when they are the same slot or their
``[start, end)`` intervals overlap. A schedule is valid when every request is placed at most
once, nobody and no table is in two conflicting slots, nobody meets in an unavailable slot,
a meeting with a fixed-table person is at (one of) the fixed table(s), caps hold (locked
meetings count) and every locked placement stays exactly where it is.

The model (:func:`solve`, OR-Tools CP-SAT)
    * one boolean ``x[r, s]`` per request and *candidate* slot — a slot where neither party is
      unavailable or held by a locked meeting in a conflicting slot, with a free allowed table
      (the fixed tables of the parties, if any, else any table) and room under the caps;
    * per request: at most one slot;
    * per person and per *maximal clique* of mutually overlapping candidate slots (the slots
      running at one instant; on one slot grid that is just one slot): at most one meeting;
    * per clique: meetings ≤ tables not held by locked meetings around all of its slots;
    * per capped person: meetings ≤ cap minus their locked meetings.

The aims are strictly lexicographic: weight, then previous placements kept (stability), then
consecutive meetings per person (fewer idle gaps). Phase 1 (weight) is a decomposition, since
CP-SAT finds good schedules of the full model slowly: a *master* model picks the requests to
place under per-person counts and the total table capacity (a relaxation: its optimum bounds
the weight; previous requests win ties); a pure feasibility search then tries to place all of
them (usually it can, which proves the weight optimal); otherwise a core-based model drops as
little weight as possible (MaxSAT-like, with ``K * weight`` per drop plus 1 per previous slot
lost, ``K`` above the number of previous placements). Leftover requests are filled in
greedily. If the master's bound is not met, the full model (objective ``K * weight + kept``)
continues from that schedule as a hint and adds its own bound. Phase 2 keeps the placed
requests (hence the weight) and maximises first the previous slots kept, then — keeping
those — the consecutive meetings. Hints come from the greedy schedule (itself built from the
previous one) and from each stage's solution.

Tables are chosen afterwards (:func:`_assign_tables`) wherever a clique is *simple*: nothing
else overlaps its slots and locked meetings hold the same tables around each of them (the
usual case: one slot grid, sessions that do not overlap). Such a clique acts as one slot and
its capacity row is exact: locked meetings keep their tables; meetings of fixed-table persons
take their own table, which is free (filtered) and wanted by nobody else (a table has one
owner, who meets once per clique); the others number at most the tables left, so each finds
one (its previous table when free, else the lowest). Where overlaps are tangled but nothing
is pre-assigned (no locked meeting, no fixed table), meetings are coloured by start time,
which interval graphs allow (when a meeting starts, every busy table belongs to a meeting
running at that instant: fewer than the tables). Tangled *and* pre-assigned is precolouring
extension on interval graphs, NP-hard in general, so there the model carries explicit table
booleans ``z[r, s, t]`` (one meeting per table and clique).

Every schedule is maximal (a time-limited solution is completed greedily), and ``solve`` is
compared with :func:`greedy` at the end; the better one is returned.
"""

from __future__ import annotations

import logging
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime

REASONS = ("locked_conflict", "cap", "no_common_slot", "full")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Slot:
    """One time slot of a session; slots of different sessions never share an id."""

    id: int
    start: datetime
    end: datetime
    session_id: int


@dataclass(frozen=True)
class Request:
    """An accepted request between persons ``a`` and ``b`` (3 must-meet, 2 mutual, 1 one-sided)."""

    id: int
    a: int
    b: int
    weight: int


@dataclass(frozen=True)
class Placement:
    request_id: int
    slot_id: int
    table_id: int


@dataclass
class Instance:
    """What to schedule; ``tables`` in the order "lowest first" (e.g. by table number)."""

    slots: list[Slot]
    tables: list[int]
    requests: list[Request]
    fixed_table: dict[int, int] = field(default_factory=dict)
    unavailable: dict[int, set[int]] = field(default_factory=dict)
    caps: dict[int, int] = field(default_factory=dict)
    locked: list[Placement] = field(default_factory=list)
    previous: dict[int, Placement] = field(default_factory=dict)


@dataclass
class Result:
    """A schedule: placements (locked ones included), a reason per request left out, the
    weight placed, the proven upper bound if any, moves against ``previous``."""

    placements: list[Placement]
    left_out: dict[int, str]
    objective: int
    bound: float | None
    optimal: bool
    solver: str
    wall_s: float
    moved: int


class _Prep:
    """Indexes of an instance shared by the solver, the greedy and ``earliest``."""

    def __init__(self, inst: Instance, only: set[int] | None = None):
        self.inst = inst
        self.slots = sl = sorted(inst.slots, key=lambda s: (s.start, s.end, s.id))
        self.index = {s.id: i for i, s in enumerate(sl)}
        self.tables = list(dict.fromkeys(inst.tables))  # "lowest" = first in this order
        self.req = {r.id: r for r in inst.requests}
        n = len(sl)
        self.overlaps = [
            [j for j in range(n) if j == i or (sl[i].start < sl[j].end and sl[j].start < sl[i].end)]
            for i in range(n)
        ]
        # What the locked meetings take: their persons and tables in every conflicting slot.
        self.locked = {p.request_id: p for p in inst.locked}
        self.held: defaultdict[int, set[int]] = defaultdict(set)  # person -> slot indexes
        self.taken: list[set[int]] = [set() for _ in range(n)]  # slot index -> tables
        count: Counter[int] = Counter()
        for p in inst.locked:
            r = self.req[p.request_id]
            for j in self.overlaps[self.index[p.slot_id]]:
                self.held[r.a].add(j)
                self.held[r.b].add(j)
                self.taken[j].add(p.table_id)
            count.update((r.a, r.b))
        self.cap_left = {p: c - count[p] for p, c in inst.caps.items()}
        self.cand: dict[int, list[int]] = {}  # request -> candidate slot indexes, by time
        for r in inst.requests:  # (``only``: just these requests, for ``earliest``)
            if r.id not in self.locked and (only is None or r.id in only):
                ok = self.cap_left.get(r.a, 1) > 0 and self.cap_left.get(r.b, 1) > 0
                self.cand[r.id] = [i for i in range(n) if ok and self.slot_ok(r, i)]

        # Maximal cliques of the interval graph of the slots that have candidates: the slots
        # running at one of their starts. Room: tables not taken around every slot of one.
        act = sorted({i for cs in self.cand.values() for i in cs})
        found = {frozenset(j for j in act if sl[j].start <= sl[i].start < sl[j].end) for i in act}
        found |= {frozenset([i]) for i in act if sl[i].start >= sl[i].end}  # empty slots
        found.discard(frozenset())
        self.cliques = sorted((c for c in found if not any(c < d for d in found)), key=min)
        self.cliques_of: list[list[int]] = [[] for _ in range(n)]
        self.room = []
        for k, c in enumerate(self.cliques):
            for i in c:
                self.cliques_of[i].append(k)
            self.room.append(len(self.tables) - len(set.intersection(*(self.taken[i] for i in c))))
        # A clique is "simple" when nothing else overlaps its slots (among slots with
        # candidates) and they all have the same tables taken: it then acts as one slot with
        # ``room`` seats. Elsewhere tables are modelled if some are pre-assigned (locked
        # meetings, fixed tables).
        alone = [
            all(len(self.cliques_of[i]) == 1 for i in c)
            and len({frozenset(self.taken[i]) for i in c}) == 1
            for c in self.cliques
        ]
        self.simple = [len(ks) == 1 and alone[ks[0]] for ks in self.cliques_of]
        self.modelled = [bool(inst.locked or inst.fixed_table) and not x for x in self.simple]

    def allowed(self, r: Request) -> list[int]:
        fixed = {self.inst.fixed_table[p] for p in (r.a, r.b) if p in self.inst.fixed_table}
        return [t for t in self.tables if t in fixed] if fixed else self.tables

    def available(self, r: Request, i: int) -> bool:
        sid, un = self.slots[i].id, self.inst.unavailable
        return sid not in un.get(r.a, ()) and sid not in un.get(r.b, ())

    def locked_free(self, r: Request, i: int) -> bool:
        """No locked meeting rules slot ``i`` out for ``r`` (party or every usable table)."""
        if i in self.held[r.a] or i in self.held[r.b]:
            return False
        return any(t not in self.taken[i] for t in self.allowed(r))

    def slot_ok(self, r: Request, i: int) -> bool:
        return self.available(r, i) and self.locked_free(r, i)

    def person_slots(self, r: Request) -> list[int]:
        return [i for i in range(len(self.slots)) if self.available(r, i)]


class _Board:
    """Meetings placed so far, for incremental (greedy) placement."""

    def __init__(self, prep: _Prep):
        self.prep = prep
        self.busy: defaultdict[int, set[int]] = defaultdict(set)
        self.used: list[dict[int, int]] = [{} for _ in prep.slots]
        self.count: Counter[int] = Counter()
        self.placed: dict[int, Placement] = {}

    def place(self, p: Placement) -> None:
        r, si = self.prep.req[p.request_id], self.prep.index[p.slot_id]
        self.busy[r.a].add(si)
        self.busy[r.b].add(si)
        self.used[si][p.table_id] = r.id
        self.count[r.a] += 1
        self.count[r.b] += 1
        self.placed[r.id] = p

    def persons_free(self, r: Request, i: int) -> bool:
        ov = self.prep.overlaps[i]
        return not any(j in self.busy[r.a] or j in self.busy[r.b] for j in ov)

    def caps_ok(self, r: Request) -> bool:
        caps = self.prep.inst.caps
        return all(p not in caps or self.count[p] < caps[p] for p in (r.a, r.b))

    def table_free(self, i: int, t: int) -> bool:
        return not any(t in self.used[j] for j in self.prep.overlaps[i])

    def first_table(self, r: Request, i: int, prefer: int | None = None) -> int | None:
        allowed = self.prep.allowed(r)
        if prefer is not None and prefer in allowed and self.table_free(i, prefer):
            return prefer
        return next((t for t in allowed if self.table_free(i, t)), None)

    def try_place(self, r: Request, i: int, prefer: int | None = None) -> bool:
        if not (self.persons_free(r, i) and self.caps_ok(r)):
            return False
        t = self.first_table(r, i, prefer)
        if t is None:
            return False
        self.place(Placement(r.id, self.prep.slots[i].id, t))
        return True


def _greedy_fill(prep: _Prep, board: _Board) -> None:
    """Add every request that still fits: heaviest first, then scarcest, then by id; each at
    its previous placement if that is still possible, else at the earliest feasible slot."""
    prev = prep.inst.previous
    todo = [r for r in prep.inst.requests if r.id not in board.placed and prep.cand.get(r.id)]
    todo.sort(key=lambda r: (-r.weight, len(prep.cand[r.id]), r.id))
    for r in todo:
        p = prev.get(r.id)
        pi = prep.index.get(p.slot_id) if p else None
        if pi is not None and pi in prep.cand[r.id] and board.try_place(r, pi, p.table_id):
            continue
        for i in prep.cand[r.id]:
            if board.try_place(r, i):
                break


def _locked_board(prep: _Prep) -> _Board:
    board = _Board(prep)
    for p in prep.inst.locked:
        board.place(p)
    return board


def left_out_reasons(instance: Instance, placements: list[Placement]) -> dict[int, str]:
    """A reason code (see ``REASONS``) for every request of ``instance`` not in ``placements``:
    the first true one of locked_conflict (slots both parties are available in exist, but
    locked meetings rule each out), cap (a party has reached their cap), no_common_slot (no
    slot where both are available) and full."""
    return _reasons(_Prep(instance), placements)


def _reasons(prep: _Prep, placements: list[Placement]) -> dict[int, str]:
    placed = {p.request_id for p in placements}
    count: Counter[int] = Counter()
    for p in placements:
        r = prep.req[p.request_id]
        count[r.a] += 1
        count[r.b] += 1
    caps = prep.inst.caps
    out = {}
    for r in prep.inst.requests:
        if r.id in placed:
            continue
        common = prep.person_slots(r)
        if common and not any(prep.locked_free(r, i) for i in common):
            out[r.id] = "locked_conflict"
        elif any(p in caps and count[p] >= caps[p] for p in (r.a, r.b)):
            out[r.id] = "cap"
        elif not common:
            out[r.id] = "no_common_slot"
        else:
            out[r.id] = "full"
    return out


def _moved(inst: Instance, placements: list[Placement]) -> int:
    at = {p.request_id: (p.slot_id, p.table_id) for p in placements}
    live = {r.id for r in inst.requests}
    locked = {p.request_id for p in inst.locked}
    return sum(
        1
        for rid, p in inst.previous.items()
        if rid in live and rid not in locked and at.get(rid) != (p.slot_id, p.table_id)
    )


def _result(prep, placements, solver, t0, bound=None, optimal=False) -> Result:
    placements = sorted(placements, key=lambda p: (prep.index[p.slot_id], p.table_id))
    return Result(
        placements=placements,
        left_out=_reasons(prep, placements),
        objective=sum(prep.req[p.request_id].weight for p in placements),
        bound=bound,
        optimal=optimal,
        solver=solver,
        wall_s=time.perf_counter() - t0,
        moved=_moved(prep.inst, placements),
    )


def greedy(instance: Instance) -> Result:
    """Deterministic fallback: locked meetings first, then requests by weight (desc), scarcity
    (fewest candidate slots first) and id, each at its previous placement when still possible,
    else at the earliest slot where both parties and a table are free."""
    t0 = time.perf_counter()
    prep = _Prep(instance)
    board = _locked_board(prep)
    _greedy_fill(prep, board)
    return _result(prep, list(board.placed.values()), "greedy", t0)


def earliest(instance: Instance, request: Request) -> Placement | None:
    """Instant mode: the earliest slot (by start) and lowest table where ``request`` fits,
    given ``instance.locked`` = every existing meeting; None when there is none."""
    known = any(r.id == request.id for r in instance.requests)
    extra = [] if known else [request]
    both = Instance(**{**instance.__dict__, "requests": [*instance.requests, *extra]})
    prep = _Prep(both, only={request.id})
    if request.id in prep.locked:
        return prep.locked[request.id]
    for i in prep.cand[request.id]:
        t = next((t for t in prep.allowed(request) if t not in prep.taken[i]), None)
        if t is not None:
            return Placement(request.id, prep.slots[i].id, t)
    return None


def _assign_tables(prep: _Prep, chosen: list[tuple[int, int]], placed=()) -> list[Placement]:
    """Tables for meetings chosen by the capacity model, next to the locked meetings and the
    ``placed`` ones (tables modelled). Per simple clique: fixed-table meetings first, then
    meetings back in their previous slot (previous table if free), then the rest at the
    lowest free table; in a tangled stretch with nothing pre-assigned, by start time. The
    module docstring shows why a table is always free."""
    board = _locked_board(prep)
    for p in placed:
        board.place(p)
    prev, fixed = prep.inst.previous, prep.inst.fixed_table

    def key(m: tuple[int, int]) -> tuple:
        rid, si = m
        r, p = prep.req[rid], prev.get(rid)
        phase = 2 - (p is not None and p.slot_id == prep.slots[si].id)
        if r.a in fixed or r.b in fixed:
            phase = 0
        if prep.simple[si]:
            return (prep.cliques_of[si][0], phase, si, rid)
        return (-1, 0, si, rid)

    for rid, si in sorted(chosen, key=key):
        r, p = prep.req[rid], prev.get(rid)
        t = board.first_table(r, si, p.table_id if p else None)
        if t is None:  # impossible by the capacity argument; never return an invalid schedule
            raise RuntimeError(f"no table for request {rid} in slot {prep.slots[si].id}")
        board.place(Placement(rid, prep.slots[si].id, t))
    return list(board.placed.values())


class _Cp:
    """One CP-SAT model over ``cand`` (request -> candidate slot indexes); see the module
    docstring. With ``drops``, each request gets a literal ``d[r]`` = "not placed" (exactly
    one of its ``x`` and ``d``), the shape core-based search works best on."""

    def __init__(self, prep: _Prep, cand: dict[int, list[int]], drops=False, exact=False):
        from ortools.sat.python import cp_model

        self.cp, self.prep = cp_model, prep
        m = self.m = cp_model.CpModel()
        self.x = x = {
            (rid, i): m.new_bool_var(f"x{rid}_{i}") for rid, cs in cand.items() for i in cs
        }
        self.d = {rid: m.new_bool_var(f"d{rid}") for rid in cand} if drops else {}
        groups: defaultdict[tuple, list] = defaultdict(list)
        self.at: defaultdict[tuple[int, int], list] = defaultdict(list)  # (person, slot) -> x
        for (rid, i), v in x.items():
            r = prep.req[rid]
            groups["r", rid].append(v)
            for k in prep.cliques_of[i]:
                groups["c", k].append(v)
                groups["pc", r.a, k].append(v)
                groups["pc", r.b, k].append(v)
            for p in (r.a, r.b):
                groups["p", p].append(v)
                self.at[p, i].append(v)
        for key, vs in groups.items():
            if key[0] == "r" and drops:
                m.add_exactly_one([*vs, self.d[key[1]]])
            elif key[0] == "r" and exact:
                m.add_exactly_one(vs)
            elif key[0] in ("r", "pc") and len(vs) > 1:
                m.add_at_most_one(vs)
            elif key[0] == "c" and len(vs) > prep.room[key[1]]:
                m.add(sum(vs) <= prep.room[key[1]])
            elif key[0] == "p" and len(vs) > prep.cap_left.get(key[1], len(vs)):
                m.add(sum(vs) <= prep.cap_left[key[1]])
        self.z: dict[tuple[int, int, int], object] = {}  # explicit tables where needed
        if any(prep.modelled):
            by_tc: defaultdict[tuple[int, int], list] = defaultdict(list)
            for (rid, i), v in x.items():
                if not prep.modelled[i]:
                    continue
                zs = []
                for t in prep.allowed(prep.req[rid]):
                    if t not in prep.taken[i]:
                        zs.append(self.z.setdefault((rid, i, t), m.new_bool_var(f"z{rid}_{i}_{t}")))
                        for k in prep.cliques_of[i]:
                            by_tc[t, k].append(zs[-1])
                m.add(sum(zs) == v)
            for vs in by_tc.values():
                if len(vs) > 1:
                    m.add_at_most_one(vs)
        keys = list(x)
        self.weight = cp_model.LinearExpr.weighted_sum(
            [x[k] for k in keys], [prep.req[k[0]].weight for k in keys]
        )

    def hint(self, placements: list[Placement]) -> None:
        prep = self.prep
        on = {(p.request_id, prep.index[p.slot_id], p.table_id) for p in placements}
        on_x = {k[:2] for k in on}
        self.m.clear_hints()
        for k, v in self.x.items():
            self.m.add_hint(v, k in on_x)
        for k, v in self.z.items():
            self.m.add_hint(v, k in on)
        placed = {k[0] for k in on}
        for rid, v in self.d.items():
            self.m.add_hint(v, rid not in placed)

    def run(self, budget: float, workers: int, seed: int, **params) -> bool:
        self.solver = s = self.cp.CpSolver()
        s.parameters.num_workers = max(1, workers)
        s.parameters.max_time_in_seconds = max(0.05, budget)
        s.parameters.random_seed = seed
        for k, v in params.items():
            setattr(s.parameters, k, v)
        self.status = s.solve(self.m)
        return self.status in (self.cp.OPTIMAL, self.cp.FEASIBLE)

    def placements(self) -> list[Placement]:
        """The solution's schedule (locked meetings included), tables chosen."""
        prep, val = self.prep, self.solver.boolean_value
        on = [Placement(r, prep.slots[i].id, t) for (r, i, t), v in self.z.items() if val(v)]
        rest = [(r, i) for (r, i), v in self.x.items() if val(v) and not prep.modelled[i]]
        return _assign_tables(prep, rest, on)

    def stay(self) -> list:
        """Literals "request kept in its previous slot" (and table, when tables are modelled)."""
        prep, x, z = self.prep, self.x, self.z
        keys = [
            (rid, prep.index.get(p.slot_id), p.table_id) for rid, p in prep.inst.previous.items()
        ]
        return [
            z[k] if k in z else x[k[:2]]
            for k in keys
            if k in z or (k[:2] in x and not prep.modelled[k[1]])
        ]

    def secondary(self) -> tuple[list, list]:
        """Literals of the secondary aims: a request kept in its previous slot; a person
        meeting in two consecutive slots of a session (one idle gap fewer)."""
        prep, stay, gaps = self.prep, self.stay(), []
        locked_at = set()
        for p in prep.inst.locked:
            r = prep.req[p.request_id]
            locked_at |= {(r.a, prep.index[p.slot_id]), (r.b, prep.index[p.slot_id])}
        sessions: defaultdict[int, list[int]] = defaultdict(list)
        for i, s in enumerate(prep.slots):
            sessions[s.session_id].append(i)
        for p in sorted({p for p, _ in self.at}):
            for idx in sessions.values():
                for i, j in zip(idx, idx[1:], strict=False):
                    sides = [(p, k) in locked_at or self.at.get((p, k)) for k in (i, j)]
                    if not all(sides) or all(s is True for s in sides):
                        continue
                    y = self.m.new_bool_var(f"g{p}_{i}")
                    for side in sides:
                        if side is not True:
                            self.m.add(y <= sum(side))
                    gaps.append(y)
        return stay, gaps


def _select(prep: _Prep, budget: float, workers: int, seed: int):
    """Master problem: which requests to place, under per-person counts (cap, slots they could
    meet in) and the total table capacity — a relaxation, so its optimum bounds the weight.
    Previously placed requests win ties. Returns (selected ids, weight bound) or None."""
    from ortools.sat.python import cp_model

    m = cp_model.CpModel()
    y = {rid: m.new_bool_var(f"y{rid}") for rid, cs in prep.cand.items() if cs}
    mine: defaultdict[int, list[int]] = defaultdict(list)
    for rid in y:
        mine[prep.req[rid].a].append(rid)
        mine[prep.req[rid].b].append(rid)
    for p, rids in mine.items():
        limit = len({i for rid in rids for i in prep.cand[rid]})
        limit = min(limit, prep.cap_left.get(p, limit))
        if len(rids) > limit:
            m.add(sum(y[rid] for rid in rids) <= limit)
    if len(y) > sum(prep.room):
        m.add(sum(y.values()) <= sum(max(0, r) for r in prep.room))
    big = len(prep.inst.previous) + 1
    m.maximize(
        sum((big * prep.req[rid].weight + (rid in prep.inst.previous)) * v for rid, v in y.items())
    )
    s = cp_model.CpSolver()
    s.parameters.num_workers = max(1, workers)
    s.parameters.max_time_in_seconds = max(0.05, budget)
    s.parameters.random_seed = seed
    s.parameters.cp_model_presolve = False  # presolve costs seconds here, search milliseconds
    if s.solve(m) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return {rid for rid, v in y.items() if s.boolean_value(v)}, int(s.best_objective_bound // big)


def _prev_first(prep: _Prep, placements: list[Placement]) -> list[Placement]:
    """The requests of ``placements`` put back at their previous placement where possible,
    the others where they are or else wherever they fit (a hint close to the old schedule)."""
    board = _locked_board(prep)
    rest = []
    for p in placements:
        if p.request_id in prep.locked:
            continue
        q = prep.inst.previous.get(p.request_id)
        r, qi = prep.req[p.request_id], q and prep.index.get(q.slot_id)
        if qi is None or qi not in prep.cand[r.id] or not board.try_place(r, qi, q.table_id):
            rest.append(p)
    for p in rest:
        r, i = prep.req[p.request_id], prep.index[p.slot_id]
        if not board.try_place(r, i, p.table_id):
            any(board.try_place(r, j) for j in prep.cand[r.id])
    return list(board.placed.values())


def _score(prep: _Prep, placements: list[Placement]) -> tuple[int, int, int]:
    """(weight, previous requests placed, previous slots kept), compared lexicographically:
    phase 2 can move meetings back to their previous slots, not bring requests back."""
    prev = prep.inst.previous
    mine = [p for p in placements if p.request_id in prev and p.request_id not in prep.locked]
    kept = sum(1 for p in mine if prev[p.request_id].slot_id == p.slot_id)
    return _weight(prep, placements), len(mine), kept


def _weight(prep: _Prep, placements: list[Placement]) -> int:
    return sum(prep.req[p.request_id].weight for p in placements)


def _filled(prep: _Prep, placements: list[Placement]) -> list[Placement]:
    board = _Board(prep)
    for p in placements:
        board.place(p)
    _greedy_fill(prep, board)
    return list(board.placed.values())


def solve(instance: Instance, time_limit: float = 10.0, workers: int = 2, seed: int = 0) -> Result:
    """Schedule with CP-SAT (see the module docstring); never worse than :func:`greedy`.

    ``bound`` is the best proven upper bound on the weight (locked meetings included);
    ``optimal`` means the weight is proven maximal (the secondary aims are best effort)."""
    t0 = time.perf_counter()
    left = lambda: time_limit - (time.perf_counter() - t0)  # noqa: E731
    prep = _Prep(instance)
    base = greedy(instance)
    locked_w = _weight(prep, instance.locked)
    best, bound = base.placements, None
    if not any(prep.cand.values()):
        return _result(prep, best, "cpsat", t0, float(locked_w), True)

    def better(placements: list[Placement]) -> None:
        nonlocal best
        if _score(prep, placements) > _score(prep, best):
            best = placements

    def note(stage: str, cp: _Cp) -> None:
        status = cp.solver.status_name(cp.status)
        log.debug("%s %s: best %s at %.2fs", stage, status, _score(prep, best), time_limit - left())

    picked = _select(prep, min(left(), 0.1 * time_limit), workers, seed)
    log.debug("greedy %s, master bound %s", base.objective, picked and picked[1])
    if picked is not None:
        selected, master_bound = picked
        bound = master_bound + locked_w
        cand = {rid: prep.cand[rid] for rid in selected}
        hint = [p for p in base.placements if p.request_id in selected]
        # Often every selected request fits: a pure feasibility search settles that fast.
        feas = _Cp(prep, cand, exact=True)
        feas.hint(hint)
        if feas.run(min(left(), 0.25 * time_limit), workers, seed):
            better(_filled(prep, feas.placements()))
        note("feasibility", feas)
        if _weight(prep, best) < bound:  # else drop as little weight as possible (MaxSAT-like)
            sub = _Cp(prep, cand, drops=True)
            stay = sub.stay()
            k = len(stay) + 1
            sub.m.minimize(
                sum(k * prep.req[rid].weight * d for rid, d in sub.d.items())
                + sum(1 - v for v in stay)
            )
            sub.hint(hint)
            budget = min(left() - 0.3 * time_limit, 0.5 * time_limit)
            if sub.run(budget, workers, seed, optimize_with_core=True):
                better(_filled(prep, sub.placements()))
            note("core", sub)
    if bound is None or _weight(prep, best) < bound:  # the full model, from the best so far
        full = _Cp(prep, prep.cand)
        stay = full.stay()
        k = len(stay) + 1
        full.m.maximize(k * full.weight + sum(stay))
        full.hint(best)
        if full.run(left() - 0.2 * time_limit, workers, seed):
            cp_bound = full.solver.best_objective_bound // k + locked_w
            bound = cp_bound if bound is None else min(bound, cp_bound)
            better(_filled(prep, full.placements()))
        note("full", full)

    # Phase 2: the secondary aims on the meetings placed, which all stay placed (same weight):
    # first the most previous slots kept, then (keeping those) the most consecutive meetings.
    budget = min(left(), max(0.5, 0.2 * time_limit))
    keep = {p.request_id: prep.cand[p.request_id] for p in best if p.request_id in prep.cand}
    if budget > 0.1 and keep:
        last = _Cp(prep, keep, exact=True)
        stay, gaps = last.secondary()
        hint = _prev_first(prep, best)
        deadline = time.perf_counter() + budget
        halfway = deadline - 0.2 * budget if gaps else deadline
        for aim, until in ((stay, halfway), (gaps, deadline)):
            rest = min(until - time.perf_counter(), left())
            if not aim or rest < 0.1:
                continue
            last.m.maximize(sum(aim))
            last.hint(hint)
            if last.run(rest, workers, seed, optimize_with_core=True):
                got = last.placements()
                if _score(prep, got) >= _score(prep, best):
                    best = hint = got
                    last.m.add(sum(aim) >= round(last.solver.objective_value))
            note("phase 2", last)
    best = _filled(prep, best)  # moved meetings may have made room for another request
    optimal = bound is not None and _weight(prep, best) >= bound - 1e-9
    res = _result(prep, best, "cpsat", t0, bound, optimal)
    if base.objective > res.objective:
        base.bound, base.optimal, base.wall_s = bound, False, time.perf_counter() - t0
        return base
    return res
