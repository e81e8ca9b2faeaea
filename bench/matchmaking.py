"""Investor matchmaking scheduler: CP-SAT against proven bounds, the greedy fallback, stability.

Generates seeded, realistic festival instances (``random.Random(seed)``) in three sizes —
investors on one side, startups and exhibitors on the other; requests between an investor and
a startup drawn with popularity skew (a few startups and investors attract most requests);
weights ~15 % must-meet (3), ~35 % mutual (2), the rest one-sided (1); about a quarter of the
investors sit at a fixed table of their own; tables ≈ 0.8 x investors; caps for some persons;
one or two sessions (a morning and an afternoon, or two days), breaks implied by the gap
between them:

* S: 10-20 investors, 30-60 startups, 100-300 requests, 6-9 slots (target: proven optimal
  within 2 s);
* M: 30-60 investors, 100-200 startups, 500-1,500 requests, 10-14 slots (target: >= 99.5 %
  of the upper bound within 10 s);
* L: 100-150 investors, 300-500 startups, 2,500-5,000 requests, 16-24 slots, every person
  unavailable for 30-50 % of the slots in runs (target: >= 98 % within 60 s).

For each family it runs ``matchmaking.scheduler.solve`` (2 workers — the machine has 2 cores)
and ``greedy``, and computes the LP bound of ``matchmaking.lpbound`` (an independent HiGHS
relaxation). The reference is CP-SAT's proven optimum when it proves one, else the smaller of
CP-SAT's own bound and the LP bound; the ratio is the weight scheduled over that bound (a
lower bound on the true ratio to the optimum).

Stability: on M (and L unless --quick) 50 % of the scheduled meetings are published (locked),
5 % of the requests are cancelled (mostly unpublished ones; a few published meetings are
cancelled with their request), 5 % new requests arrive, and the instance is rescheduled with
``previous`` = the old schedule. It reports published meetings moved (must be 0), unpublished
meetings moved (and their share) and new requests placed.

Fixed tables are exclusive (a table fixed to an investor hosts only that investor's
meetings); the checker enforces it. Among schedules of equal weight the solver prefers early
slots: each family prints the meetings per slot (CP-SAT, then greedy), which should fill the
start of each session first.

Every schedule goes through ``matchmaking.checker.verify``; any problem makes the exit code 1.

    python -m bench.matchmaking [--quick] [--seed N]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, datetime, timedelta

from matchmaking.checker import verify
from matchmaking.lpbound import lp_bound
from matchmaking.scheduler import Instance, Placement, Request, Slot, greedy, solve

FAMILIES = {
    "S": {"investors": (10, 20), "startups": (30, 60), "requests": (100, 300), "slots": (6, 9)},
    "M": {
        "investors": (30, 60),
        "startups": (100, 200),
        "requests": (500, 1500),
        "slots": (10, 14),
    },
    "L": {
        "investors": (100, 150),
        "startups": (300, 500),
        "requests": (2500, 5000),
        "slots": (16, 24),
    },
}
TIME_LIMIT = {"S": 2.0, "M": 10.0, "L": 55.0}
TARGET = {  # (ratio to the bound, wall seconds); S must also be proven optimal
    "S": (1.0, 2.0),
    "M": (0.995, 10.0),
    "L": (0.98, 60.0),
}
WORKERS = 2
STARTUP_BASE = 100_000


def _weight(rng: random.Random) -> int:
    u = rng.random()
    return 3 if u < 0.15 else 2 if u < 0.5 else 1


def _draw_requests(rng, investors, startups, pop_i, pop_s, count, taken, first_id):
    """``count`` new investor-startup requests with popularity skew, avoiding pairs in ``taken``."""
    out = []
    tries = 0
    while len(out) < count and tries < 50 * count:
        tries += 1
        a = rng.choices(investors, pop_i)[0]
        b = rng.choices(startups, pop_s)[0]
        if (a, b) in taken:
            continue
        taken.add((a, b))
        out.append(Request(first_id + len(out), a, b, _weight(rng)))
    return out


def make_instance(family: str, seed: int) -> tuple[Instance, dict]:
    """A seeded instance of ``family``, and what is needed to draw more requests for it."""
    spec = FAMILIES[family]
    rng = random.Random(f"{family}-{seed}")
    n_inv = rng.randint(*spec["investors"])
    n_st = rng.randint(*spec["startups"])
    n_req = rng.randint(*spec["requests"])
    n_slots = rng.randint(*spec["slots"])
    investors = list(range(1, n_inv + 1))
    startups = list(range(STARTUP_BASE, STARTUP_BASE + n_st))

    # Sessions: one morning, or a morning and an afternoon, or two days; 20-minute slots.
    n_sessions = 1 if family == "S" and rng.random() < 0.4 else 2
    day = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)  # 09:00 in Ho Chi Minh City
    two_days = rng.random() < 0.5
    starts = [day, day + (timedelta(days=1) if two_days else timedelta(hours=5))]
    sizes = [n_slots] if n_sessions == 1 else [n_slots - n_slots // 2, n_slots // 2]
    slots = []
    for sess, (start, size) in enumerate(zip(starts, sizes, strict=False)):
        for k in range(size):
            at = start + timedelta(minutes=20 * k)
            slots.append(Slot(len(slots) + 1, at, at + timedelta(minutes=20), sess + 1))

    pop_i = [rng.paretovariate(1.3) for _ in investors]
    pop_s = [rng.paretovariate(1.1) for _ in startups]
    requests = _draw_requests(rng, investors, startups, pop_i, pop_s, n_req, set(), 1)
    taken = {(r.a, r.b) for r in requests}

    n_tables = max(1, round(0.8 * n_inv))
    tables = list(range(1, n_tables + 1))
    fixed_people = rng.sample(investors, round(0.25 * n_inv))
    fixed_table = dict(zip(fixed_people, rng.sample(tables, len(fixed_people)), strict=True))
    caps = {}
    for s in startups:
        if rng.random() < 0.2:
            caps[s] = rng.randint(2, 5)
    for i in investors:
        if rng.random() < 0.15:
            caps[i] = rng.randint(3, max(3, n_slots - 2))

    unavailable: dict[int, set[int]] = {}
    ids = [s.id for s in slots]
    for person in investors + startups:
        if family == "L":
            want = round(rng.uniform(0.3, 0.5) * n_slots)
        elif rng.random() < 0.15:
            want = rng.randint(1, 3)
        else:
            continue
        blocked: set[int] = set()
        while len(blocked) < want:
            run = rng.randint(1, 4)
            k = rng.randrange(n_slots)
            blocked.update(ids[k : k + run])
        unavailable[person] = blocked

    inst = Instance(slots, tables, requests, fixed_table, unavailable, caps)
    gen = {"rng": rng, "investors": investors, "startups": startups, "pop_i": pop_i, "pop_s": pop_s}
    gen["taken"] = taken
    return inst, gen


def _fill(inst: Instance, res) -> str:
    """Meetings per slot in time order, sessions separated by ``|``."""
    count = {s.id: 0 for s in inst.slots}
    for p in res.placements:
        count[p.slot_id] += 1
    out, last = [], None
    for s in sorted(inst.slots, key=lambda s: (s.start, s.id)):
        if last is not None and s.session_id != last:
            out.append("|")
        out.append(str(count[s.id]))
        last = s.session_id
    return " ".join(out)


class Bench:
    def __init__(self, seed: int):
        self.seed = seed
        self.problems = 0

    def check(self, label: str, inst: Instance, res) -> None:
        found = verify(inst, res)
        for p in found[:20]:
            print(f"  CHECKER {label}: {p}")
        if found:
            print(f"  CHECKER {label}: {len(found)} problem(s)")
        self.problems += len(found)

    def family(self, family: str) -> dict:
        inst, gen = make_instance(family, self.seed)
        n_inv, n_st = len(gen["investors"]), len(gen["startups"])
        print(
            f"{family}: {n_inv} investors, {n_st} startups, {len(inst.requests)} requests "
            f"(total weight {sum(r.weight for r in inst.requests)}), {len(inst.slots)} slots in "
            f"{len({s.session_id for s in inst.slots})} session(s), {len(inst.tables)} tables, "
            f"{len(inst.fixed_table)} fixed, {len(inst.caps)} caps, "
            f"{len(inst.unavailable)} persons with blocked slots"
        )
        t0 = time.perf_counter()
        lp = lp_bound(inst)
        lp_s = time.perf_counter() - t0
        res = solve(inst, time_limit=TIME_LIMIT[family], workers=WORKERS, seed=self.seed)
        self.check(f"{family} solve", inst, res)
        gres = greedy(inst)
        self.check(f"{family} greedy", inst, gres)
        if res.optimal:
            ref, used = float(res.objective), "CP-SAT proven optimum"
        elif res.bound is not None and res.bound <= lp:
            ref, used = res.bound, "CP-SAT bound"
        else:
            ref, used = lp, "LP bound"
        ratio = res.objective / ref if ref else 1.0
        g_ratio = gres.objective / ref if ref else 1.0
        cp_bound = "none" if res.bound is None else f"{res.bound:.1f}"
        print(
            f"  CP-SAT ({res.solver}): weight {res.objective}, {len(res.placements)} meetings, "
            f"{len(res.left_out)} left out, optimal={res.optimal}, {res.wall_s:.2f} s "
            f"(limit {TIME_LIMIT[family]:g} s)"
        )
        print(f"  bounds: LP {lp:.2f} ({lp_s:.2f} s), CP-SAT {cp_bound}; used: {used} = {ref:.2f}")
        print(f"  ratio {ratio:.4f}; greedy weight {gres.objective}, ratio {g_ratio:.4f}")
        print(f"  meetings per slot: CP-SAT {_fill(inst, res)}; greedy {_fill(inst, gres)}")
        want, within = TARGET[family]
        met = ratio >= want and res.wall_s <= within and (family != "S" or res.optimal)
        what = "proven optimal" if family == "S" else f"ratio >= {want}"
        print(f"  target {what} within {within:g} s: {'met' if met else 'NOT MET'}")
        return {
            "inst": inst,
            "gen": gen,
            "res": res,
            "ratio": ratio,
            "g_ratio": g_ratio,
            "s": res.wall_s,
        }

    def stability(self, family: str, base: dict) -> dict:
        inst, gen, res = base["inst"], base["gen"], base["res"]
        rng = random.Random(f"stability-{family}-{self.seed}")
        placed = list(res.placements)
        locked = rng.sample(placed, len(placed) // 2)
        locked_ids = {p.request_id for p in locked}
        n_change = max(1, round(0.05 * len(inst.requests)))
        n_cancel_locked = max(1, n_change // 10)
        cancel = set(rng.sample(sorted(locked_ids), min(n_cancel_locked, len(locked_ids))))
        others = [r.id for r in inst.requests if r.id not in locked_ids]
        cancel |= set(rng.sample(others, min(n_change - len(cancel), len(others))))
        first_id = max(r.id for r in inst.requests) + 1
        new = _draw_requests(
            gen["rng"],
            gen["investors"],
            gen["startups"],
            gen["pop_i"],
            gen["pop_s"],
            n_change,
            gen["taken"],
            first_id,
        )
        requests = [r for r in inst.requests if r.id not in cancel] + new
        keep_locked = [p for p in locked if p.request_id not in cancel]
        previous = {p.request_id: p for p in placed if p.request_id not in cancel}
        inst2 = Instance(
            inst.slots,
            inst.tables,
            requests,
            inst.fixed_table,
            inst.unavailable,
            inst.caps,
            keep_locked,
            previous,
        )
        res2 = solve(inst2, time_limit=TIME_LIMIT[family], workers=WORKERS, seed=self.seed)
        self.check(f"{family} reschedule", inst2, res2)
        now = {p.request_id: p for p in res2.placements}
        locked_moved = sum(1 for p in keep_locked if now.get(p.request_id) != p)
        unlocked_prev = [rid for rid in previous if rid not in {p.request_id for p in keep_locked}]
        moved = sum(
            1
            for rid in unlocked_prev
            if now.get(rid) != Placement(rid, previous[rid].slot_id, previous[rid].table_id)
        )
        new_placed = sum(1 for r in new if r.id in now)
        share = moved / len(unlocked_prev) if unlocked_prev else 0.0
        print(
            f"{family} reschedule: {len(keep_locked)} published (locked), {len(cancel)} requests "
            f"cancelled ({len(cancel & locked_ids)} of them published), {len(new)} new; "
            f"weight {res2.objective} (was {res.objective}), optimal={res2.optimal}, "
            f"{res2.wall_s:.2f} s"
        )
        print(
            f"  locked moved {locked_moved}; unlocked moved {moved} of {len(unlocked_prev)} "
            f"({100 * share:.1f} %); new requests placed {new_placed} of {len(new)}"
        )
        return {
            "family": family,
            "locked_moved": locked_moved,
            "moved": moved,
            "unlocked": len(unlocked_prev),
            "share": share,
        }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="S and M only (within 60 s)")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    bench = Bench(args.seed)
    out = {f: bench.family(f) for f in (("S", "M") if args.quick else ("S", "M", "L"))}
    stab = [bench.stability("M", out["M"])]
    if not args.quick:
        stab.append(bench.stability("L", out["L"]))
    locked_moved = sum(s["locked_moved"] for s in stab)
    moved = ",".join(f"{s['family']}:{s['moved']}/{s['unlocked']}" for s in stab)
    print(f"total {time.perf_counter() - t0:.1f} s; checker problems: {bench.problems}")
    if "L" in out:
        l_part = f"L_ratio={out['L']['ratio']:.4f}"
        tail = f"L_s={out['L']['s']:.2f} greedy_L_ratio={out['L']['g_ratio']:.4f}"
    else:
        l_part = "L_ratio=skipped"
        tail = f"L_s=skipped greedy_L_ratio=skipped greedy_M_ratio={out['M']['g_ratio']:.4f}"
    print(
        f"matchmaking: S_ratio={out['S']['ratio']:.4f} M_ratio={out['M']['ratio']:.4f} {l_part} "
        f"S_s={out['S']['s']:.2f} M_s={out['M']['s']:.2f} {tail} "
        f"moved_unlocked={moved} locked_moved={locked_moved}"
    )
    return 1 if bench.problems or locked_moved else 0


if __name__ == "__main__":
    sys.exit(main())
