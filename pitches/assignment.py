"""Balanced assignment of judges to applications — pure, over plain ids.

``assign(applications, judges, conflicts, k, existing)`` gives every application ``k`` judges
(counting the ``existing`` by-hand ones, which are kept as they are), never a conflicted pair,
and loads (existing + new, per judge) that differ by at most one whenever that is possible.

How:

1. Coverage. Judges have no capacity, so an application can be covered exactly when it has
   enough unconflicted judges not yet on it; applications are taken fewest-eligible first and
   each gets the least-loaded eligible judges (ties by judge id, so the result is repeatable).
2. Balance. While some judge ``h`` can hand work on to a judge ``l`` with
   ``load(h) >= load(l) + 2`` along a chain of moves (``h`` gives application ``a1`` to ``j1``,
   ``j1`` gives ``a2`` to ``j2``, …, ``l``; each move to an unconflicted judge not yet on that
   application, only new assignments move), shift one unit along the chain. Every shift lowers
   the sum of squared loads, so this ends; when no chain is left, the loads minimise that sum
   over all valid assignments (no negative cycle in the residual flow graph), and such a
   minimiser also has the smallest possible spread (loads of a polymatroid base), so
   ``max - min <= 1`` is reached whenever any valid assignment reaches it.

The result is a ``dict`` application id -> set of judge ids with two extra attributes:
``uncovered`` (application id -> ``Shortfall``) and ``unbalanced`` (True when the loads still
differ by more than one: by-hand assignments or conflicts leave no way to even them out).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection, Hashable, Iterable
from dataclasses import dataclass

Id = Hashable


@dataclass(frozen=True)
class Shortfall:
    """An application that could not get ``k`` judges: how many it has and how many judges
    were left once conflicts were taken out."""

    needed: int
    assigned: int
    eligible: int  # unconflicted judges in all (including those already on it)


class Plan(dict):
    """application id -> set of judge ids, plus ``uncovered`` and ``unbalanced``."""

    uncovered: dict
    unbalanced: bool

    def loads(self, judges: Iterable[Id]) -> dict:
        counts = dict.fromkeys(judges, 0)
        for assigned in self.values():
            for j in assigned:
                counts[j] = counts.get(j, 0) + 1
        return counts


def assign(
    applications: Iterable[Id],
    judges: Iterable[Id],
    conflicts: Collection[tuple[Id, Id]],
    k: int,
    existing: Iterable[tuple[Id, Id]] = (),
) -> Plan:
    """Assign judges to applications; ``conflicts`` and ``existing`` are (application, judge)
    pairs. Existing pairs are kept even when conflicted (the caller decides about those)."""
    apps = list(dict.fromkeys(applications))
    judge_list = sorted(dict.fromkeys(judges), key=_sort_key)
    conflict_set = set(conflicts)
    app_set = set(apps)
    judge_set = set(judge_list)

    plan = Plan({a: set() for a in apps})
    fixed: set[tuple[Id, Id]] = set()
    load = dict.fromkeys(judge_list, 0)
    for a, j in existing:
        if a in app_set and j in judge_set and j not in plan[a]:
            plan[a].add(j)
            fixed.add((a, j))
            load[j] += 1

    def eligible(a):
        return [j for j in judge_list if (a, j) not in conflict_set]

    eligible_of = {a: eligible(a) for a in apps}

    # 1. coverage, hardest applications first
    plan.uncovered = {}
    order = sorted(apps, key=lambda a: (len(eligible_of[a]), _sort_key(a)))
    for a in order:
        need = k - len(plan[a])
        if need <= 0:
            continue
        free = [j for j in eligible_of[a] if j not in plan[a]]
        free.sort(key=lambda j: (load[j], _sort_key(j)))
        for j in free[:need]:
            plan[a].add(j)
            load[j] += 1
        if len(plan[a]) < k:
            plan.uncovered[a] = Shortfall(
                needed=k, assigned=len(plan[a]), eligible=len(eligible_of[a])
            )

    # 2. balance along chains of moves
    while _shift_once(plan, judge_list, eligible_of, fixed, load):
        pass
    plan.unbalanced = bool(load) and max(load.values()) - min(load.values()) > 1
    return plan


def _sort_key(value) -> tuple:
    return (str(type(value)), value) if not isinstance(value, int) else ("", value)


def _shift_once(plan, judge_list, eligible_of, fixed, load) -> bool:
    """Find one chain from a judge to another with at least two fewer assignments and shift
    one unit along it. Returns False when there is none."""
    # moves[j] = [(application, other judge)]: j may hand that application to the other judge
    moves: dict = {j: [] for j in judge_list}
    for a, assigned in plan.items():
        takers = [j for j in eligible_of[a] if j not in assigned]
        if not takers:
            continue
        for j in assigned:
            if (a, j) in fixed or j not in moves:
                continue
            moves[j].extend((a, t) for t in takers)
    for h in sorted(judge_list, key=lambda j: (-load[j], _sort_key(j))):
        parent = {h: None}
        queue = deque([h])
        best = None
        while queue:
            j = queue.popleft()
            for a, t in moves[j]:
                if t in parent:
                    continue
                parent[t] = (j, a)
                queue.append(t)
                if load[t] <= load[h] - 2 and (best is None or load[t] < load[best]):
                    best = t
        if best is None:
            continue
        # Walk back from best to h, moving each application one step along the chain.
        t = best
        while parent[t] is not None:
            j, a = parent[t]
            plan[a].discard(j)
            plan[a].add(t)
            t = j
        load[h] -= 1
        load[best] += 1
        return True
    return False
