"""Pure scheduling core of investor matchmaking (no Flask, no database).

Participants are plain integer person ids. Accepted requests (pairs of persons with a weight:
3 must-meet, 2 mutual, 1 one-sided) are placed 1:1 at tables in time slots. Slots of different
sessions may overlap in time; two slots *conflict* when they are the same slot or their
``[start, end)`` intervals overlap. A schedule is valid when every request is placed at most
once, nobody and no table is in two conflicting slots, nobody meets in an unavailable slot,
a meeting with a fixed-table person is at (one of) the fixed table(s), a table fixed to a
person hosts only that person's meetings (so a meeting without a fixed-table party is at a
*shared* table, one fixed to nobody), caps hold (locked meetings count) and every locked
placement stays exactly where it is.

The model (:func:`solve`, OR-Tools CP-SAT)
    * one boolean ``x[r, s]`` per request and *candidate* slot — a slot where neither party is
      unavailable or held by a locked meeting in a conflicting slot, with an allowed table
      (the fixed tables of the parties, if any, else the shared tables) that no locked
      meeting holds there, and room under the caps;
    * per request: at most one slot;
    * per person and per *maximal clique* of mutually overlapping candidate slots (the slots
      running at one instant; on one slot grid that is just one slot): at most one meeting;
    * per clique: meetings without a fixed-table party ≤ shared tables not held by locked
      meetings around all of its slots. Meetings with a fixed-table party need no row: their
      table hosts nobody else's meetings and its owner meets once per clique;
    * per capped person: meetings ≤ cap minus their locked meetings.

The aims are strictly lexicographic: weight, then previous placements kept (stability), then
early slots (the least sum over meetings of the rank of their slot's start: the session fills
from its start), then consecutive meetings per person (fewer idle gaps). Phase 1 (weight) is a
decomposition, since CP-SAT finds good schedules of the full model slowly: a *master* model
picks the requests to place under per-person counts and the total shared table capacity (a
relaxation: its optimum bounds the weight; previous requests win ties); a pure feasibility
search then tries to place all of them (usually it can, which proves the weight optimal);
otherwise a core-based model drops as little weight as possible (MaxSAT-like, with
``K * weight`` per drop plus 1 per previous slot lost, ``K`` above the number of previous
placements). Leftover requests are filled in greedily. If the master's bound is not met, the
full model (objective ``K * weight + kept``) continues from that schedule as a hint and adds
its own bound. Phase 2 keeps the placed requests (hence the weight) and optimises the
secondary aims one after the other, each stage keeping what the previous ones reached. Hints
come from the greedy schedule (itself built from the previous one) and from each stage's
solution.

Tables are chosen afterwards (``placement._assign_tables``) wherever a clique is *simple*:
nothing else overlaps its slots and locked meetings hold the same shared tables around each
of them (the usual case: one slot grid, sessions that do not overlap). Such a clique acts as
one slot and its capacity row is exact. Where overlaps are tangled but no locked meeting
holds a shared table, meetings are coloured by start time, which interval graphs allow.
Tangled *and* pre-assigned is precolouring extension on interval graphs, NP-hard in general,
so there the model carries explicit table booleans ``z[r, s, t]`` for the meetings at shared
tables (one meeting per table and clique).

Every schedule is maximal (a time-limited solution is completed greedily), and ``solve`` is
compared with :func:`greedy` at the end; the better one is returned.

The data classes, the greedy placement, ``earliest`` and ``left_out_reasons`` live in
``matchmaking.placement`` and are importable from here.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict

from matchmaking.placement import (
    REASONS,
    Instance,
    Placement,
    Request,
    Result,
    Slot,
    _assign_tables,
    _Board,
    _greedy_fill,
    _locked_board,
    _Prep,
    _result,
    earliest,
    greedy,
    left_out_reasons,
)

__all__ = [
    "REASONS",
    "Instance",
    "Placement",
    "Request",
    "Result",
    "Slot",
    "earliest",
    "greedy",
    "left_out_reasons",
    "solve",
]
log = logging.getLogger(__name__)


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
            shared = not prep.owned(r)
            for k in prep.cliques_of[i]:
                if shared:
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
        self.z: dict[tuple[int, int, int], object] = {}  # explicit shared tables where needed
        if any(prep.modelled):
            by_tc: defaultdict[tuple[int, int], list] = defaultdict(list)
            for (rid, i), v in x.items():
                if not self.tabled(rid, i):
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

    def tabled(self, rid: int, i: int) -> bool:
        """Does the model choose the table of request ``rid`` in slot ``i`` (``z``)?"""
        return self.prep.modelled[i] and not self.prep.owned(self.prep.req[rid])

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
        rest = [(r, i) for (r, i), v in self.x.items() if val(v) and not self.tabled(r, i)]
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
            if k in z or (k[:2] in x and not self.tabled(*k[:2]))
        ]

    def secondary(self) -> tuple[list, object, list]:
        """The secondary aims, each to maximise: literals "request kept in its previous
        slot"; earliness, the sum over meetings of ``last rank - rank of the slot's start``
        (the fewer late slots the better); literals "a person meets in two consecutive
        slots of a session" (one idle gap fewer)."""
        prep, stay, gaps = self.prep, self.stay(), []
        top = max(prep.rank, default=0)
        keys = [k for k in self.x if prep.rank[k[1]] < top]
        early = self.cp.LinearExpr.weighted_sum(
            [self.x[k] for k in keys], [top - prep.rank[k[1]] for k in keys]
        )
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
        return stay, early if keys else None, gaps


def _select(prep: _Prep, budget: float, workers: int, seed: int):
    """Master problem: which requests to place, under per-person counts (cap, slots they could
    meet in) and the total shared table capacity — a relaxation, so its optimum bounds the weight.
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
    shared = [v for rid, v in y.items() if not prep.owned(prep.req[rid])]
    if len(shared) > sum(prep.room):  # fixed-table meetings are bounded by their owners
        m.add(sum(shared) <= sum(prep.room))
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


def _some(aim) -> bool:
    """Is there anything to optimise in this aim (a non-empty list, an expression)?"""
    return bool(aim) if isinstance(aim, list) else aim is not None


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
    # the most previous slots kept, then (keeping those) the earliest slots, then (keeping
    # both) the most consecutive meetings. A stage that ends early leaves its time to the next.
    budget = min(left(), max(0.5, 0.2 * time_limit))
    keep = {p.request_id: prep.cand[p.request_id] for p in best if p.request_id in prep.cand}
    if budget > 0.1 and keep:
        last = _Cp(prep, keep, exact=True)
        stay, early, gaps = last.secondary()
        aims = [(a, share) for a, share in ((stay, 0.4), (early, 0.4), (gaps, 0.2)) if _some(a)]
        hint = _prev_first(prep, best)
        deadline = time.perf_counter() + budget
        for n, (aim, _share) in enumerate(aims):
            until = deadline - budget * sum(share for _, share in aims[n + 1 :])
            rest = min(until - time.perf_counter(), left())
            if rest < 0.1:
                continue
            total = sum(aim) if isinstance(aim, list) else aim
            last.m.maximize(total)
            last.hint(hint)
            if last.run(rest, workers, seed, optimize_with_core=True):
                got = last.placements()
                if _score(prep, got) >= _score(prep, best):
                    best = hint = got
                    last.m.add(total >= round(last.solver.objective_value))
            note("phase 2", last)
    best = _filled(prep, best)  # moved meetings may have made room for another request
    optimal = bound is not None and _weight(prep, best) >= bound - 1e-9
    res = _result(prep, best, "cpsat", t0, bound, optimal)
    if base.objective > res.objective:
        base.bound, base.optimal, base.wall_s = bound, False, time.perf_counter() - t0
        return base
    return res
