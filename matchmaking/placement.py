"""The data of the scheduling core and everything it does without a solver: the instance's
indexes (candidate slots, overlap cliques, table room), greedy placement (:func:`greedy`,
instant :func:`earliest`), the table assignment after the CP-SAT model and the left-out
reasons. Re-exported by ``matchmaking.scheduler``, the public entry point.

Tables: a table fixed to a person (``Instance.fixed_table``) hosts only that person's
meetings. A meeting with a fixed-table party sits at (one of) its parties' fixed table(s); a
meeting without one sits at one of the *shared* tables (those fixed to nobody).
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime

REASONS = ("locked_conflict", "cap", "no_common_slot", "full")


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
        starts = sorted({s.start for s in sl})
        self.rank = [starts.index(s.start) for s in sl]  # slot index -> rank of its start
        self.tables = list(dict.fromkeys(inst.tables))  # "lowest" = first in this order
        owned = set(inst.fixed_table.values())
        self.shared_tables = [t for t in self.tables if t not in owned]
        shared = set(self.shared_tables)
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
        # running at one of their starts. Room: shared tables not taken around every slot.
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
            gone = set.intersection(*(self.taken[i] & shared for i in c))
            self.room.append(len(shared) - len(gone))
        # A clique is "simple" when nothing else overlaps its slots (among slots with
        # candidates) and they all have the same shared tables taken: it then acts as one
        # slot with ``room`` shared seats. Elsewhere shared tables are modelled if locked
        # meetings pre-assign some of them. (Fixed tables never need it: see ``_assign_tables``.)
        alone = [
            all(len(self.cliques_of[i]) == 1 for i in c)
            and len({frozenset(self.taken[i] & shared) for i in c}) == 1
            for c in self.cliques
        ]
        self.simple = [len(ks) == 1 and alone[ks[0]] for ks in self.cliques_of]
        pinned = any(p.table_id in shared for p in inst.locked)
        self.modelled = [pinned and not x for x in self.simple]

    def owned(self, r: Request) -> bool:
        """Does a party of ``r`` have a fixed table (so ``r`` does not use the shared ones)?"""
        return r.a in self.inst.fixed_table or r.b in self.inst.fixed_table

    def allowed(self, r: Request) -> list[int]:
        """The tables ``r`` may use: its parties' fixed tables, else the shared tables."""
        fixed = {self.inst.fixed_table[p] for p in (r.a, r.b) if p in self.inst.fixed_table}
        return [t for t in self.tables if t in fixed] if fixed else self.shared_tables

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
    slot where both are available) and full (also when no table may seat the request)."""
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
        if common and prep.allowed(r) and not any(prep.locked_free(r, i) for i in common):
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
    else at the earliest slot where both parties and an allowed table are free."""
    t0 = time.perf_counter()
    prep = _Prep(instance)
    board = _locked_board(prep)
    _greedy_fill(prep, board)
    return _result(prep, list(board.placed.values()), "greedy", t0)


def earliest(instance: Instance, request: Request) -> Placement | None:
    """Instant mode: the earliest slot (by start) and lowest allowed table where ``request``
    fits, given ``instance.locked`` = every existing meeting; None when there is none."""
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
    ``placed`` ones (shared tables modelled).

    A meeting with a fixed-table party takes a fixed table of a party that no locked
    meeting holds around its slot (there is one: candidates are filtered so); no other
    meeting wants it, since a fixed table hosts only its owner's meetings and the owner
    meets once at a time. The other meetings share the shared tables: per simple clique,
    meetings back in their previous slot first (previous table if free), then the rest at
    the lowest free table — at most ``room`` of them, so each finds one; in a tangled
    stretch where no locked meeting holds a shared table, by start time, which interval
    graphs allow (when a meeting starts, every busy shared table belongs to a meeting
    running at that instant: fewer than the shared tables)."""
    board = _locked_board(prep)
    for p in placed:
        board.place(p)
    prev = prep.inst.previous

    def key(m: tuple[int, int]) -> tuple:
        rid, si = m
        r, p = prep.req[rid], prev.get(rid)
        phase = 2 - (p is not None and p.slot_id == prep.slots[si].id)
        if prep.owned(r):
            phase = 0
        if prep.simple[si]:
            return (prep.cliques_of[si][0], phase, si, rid)
        return (-1, 0, si, rid)

    for rid, si in sorted(chosen, key=key):
        r, p = prep.req[rid], prev.get(rid)
        t = board.first_table(r, si, p.table_id if p else None)
        if t is None:  # impossible by the argument above; never return an invalid schedule
            raise RuntimeError(f"no table for request {rid} in slot {prep.slots[si].id}")
        board.place(Placement(rid, prep.slots[si].id, t))
    return list(board.placed.values())
