"""Pick-route benchmark: gaps to the optimum, latency, savings, and peers at equal time.

    python bench/routing.py            # 30 seeded instances per cell
    python bench/routing.py --quick    # 5 per cell, a smoke run
    python bench/routing.py --only 30x60x3:100   # one cell

Latency is wall time of ``solve_positions`` (distance matrix included), one thread.
Reference per instance: the Ratliff-Rosenthal programme on one block (proven optimum); on
several blocks Held-Karp up to 12 stops, fast-tsp's exact solver up to 19
stops, otherwise the best tour found by any method including long runs (1 s fast-tsp, 0.5 s
ours): a best known tour, not a proof. Peers get the same wall time as our median for the
instance. Time to quality: both solvers run along the same ladder of time budgets (0.01 ms ..
0.56 s, each 20 % above the last; one untimed run first, to warm the caches) and each is
charged the wall time, from the pick positions, of its first run that reaches the quality:
the distance matrix included for both (fast-tsp is handed it as an integer numpy array,
which it reads without conversion). Every rung is an independent run for both solvers:
fast-tsp takes no seed and draws a fresh one on every call, so ours is given the rung's
number as its seed; a column repeats our ladder with seed 0 on every rung, the time of one
run. The last column is the time of a typical single run: 5 independent runs of each solver
at every rung, charged at the first rung where more than half of them reach the quality
(their mean wall time). Two
qualities: our tour (fast-tsp only) and the reference tour (both). The routing kernels are
compiled by numba when their modules are imported (cached on disk): that one-off
cost is measured first, in fresh processes, and is not part of any latency figure.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
from rich.console import Console
from rich.table import Table

from hub.routing import exact, policies, single_block
from hub.routing.distance import stop_matrix
from hub.routing.layout import Layout, Points, layout_from_dict
from hub.routing.route import solve_positions

try:
    import fast_tsp
except ImportError:  # pragma: no cover - reported in the output
    fast_tsp = None
try:
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2
except ImportError:  # pragma: no cover
    pywrapcp = None

CELLS = [(10, 40, 1, (10, 20, 50)), (10, 40, 2, (10, 20, 50)),
         (30, 60, 1, (50, 100, 200)), (30, 60, 3, (50, 100, 200))]


def tour_len(dist: np.ndarray, order: list[int]) -> float:
    return exact.tour_length(dist, order)


def ours(layout: Layout, pts: Points, budget: float | None = None,
         seed: int = 0) -> tuple[float, float, float]:
    t0 = time.perf_counter()
    order, dist, _ = solve_positions(layout, pts, budget_s=budget, seed=seed)
    elapsed = time.perf_counter() - t0
    return tour_len(dist, [i + 1 for i in order]), elapsed, 0.0


LADDER_MS = tuple(round(0.01 * 1.2**k, 4) for k in range(61))  # 0.01 ms .. 0.56 s, +20 % a step


Run = Callable[[float, int], tuple[float | None, float]]  # (budget s, run number) -> (length, s)
RUNS_PER_RUNG = 5  # for the typical single run: independent runs at each budget


def time_to(run: Run, target: float, runs_per_rung: int = 1) -> float:
    """Wall ms charged to a solver for a tour no longer than ``target``, along the budget
    ladder; inf if none. With one run per rung, the first run that reaches it. With several
    independent runs per rung, the first rung where more than half of them reach it, charged
    their mean wall time: the time a typical single run needs. One untimed run first, so that
    no ladder pays for the caches OR-Tools (or the other solver) left cold: a run right after
    an OR-Tools solve took three times as long (0.10 against 0.03 ms)."""
    run(LADDER_MS[0] / 1000, 0)
    for rung, ms in enumerate(LADDER_MS):
        results = [run(ms / 1000, rung * runs_per_rung + i) for i in range(runs_per_rung)]
        reached = sum(1 for got, _ in results if got is not None and got <= target + 1e-6)
        if 2 * reached > runs_per_rung:
            return 1000 * float(np.mean([elapsed for _, elapsed in results]))
    return np.inf


def ours_run(layout: Layout, pts: Points, fresh_seeds: bool = True) -> Run:
    """Our solver as a ladder run, distance matrix included. With ``fresh_seeds`` every run is
    independent, as fast-tsp's are (it takes no seed and draws a fresh one on every call):
    run number k is seed k. Without, every run is seed 0, so a ladder times one run."""
    def run(budget_s: float, number: int) -> tuple[float | None, float]:
        got, elapsed, _ = ours(layout, pts, budget=budget_s, seed=number if fresh_seeds else 0)
        return got, elapsed
    return run


def fast_tsp_run(layout: Layout, pts: Points) -> Run:
    """fast-tsp as a ladder run, our distance matrix included as for ours."""
    def run(budget_s: float, number: int) -> tuple[float | None, float]:
        t0 = time.perf_counter()
        got = run_fast_tsp(stop_matrix(layout, pts), budget_s)
        return got, time.perf_counter() - t0
    return run


def run_fast_tsp(dist: np.ndarray, seconds: float) -> float | None:
    if fast_tsp is None:
        return None
    ints = np.rint(dist * 10).astype(np.int64)
    tour = fast_tsp.find_tour(ints, duration_seconds=seconds, max_threads=1)
    k = tour.index(0)
    tour = tour[k:] + tour[:k]
    return tour_len(dist, tour[1:])


def run_ortools(dist: np.ndarray, seconds: float) -> float | None:
    if pywrapcp is None:
        return None
    n = dist.shape[0]
    ints = np.rint(dist * 10).astype(np.int64).tolist()
    manager = pywrapcp.RoutingIndexManager(n, 1, 0)
    model = pywrapcp.RoutingModel(manager)
    cb = model.RegisterTransitCallback(
        lambda i, j: ints[manager.IndexToNode(i)][manager.IndexToNode(j)])
    model.SetArcCostEvaluatorOfAllVehicles(cb)
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH)
    params.time_limit.FromMicroseconds(max(int(seconds * 1e6), 1000))
    solution = model.SolveWithParameters(params)
    if solution is None:
        return np.inf  # no tour within the time
    index, order = model.Start(0), []
    while not model.IsEnd(index):
        index = solution.Value(model.NextVar(index))
        if not model.IsEnd(index):
            order.append(manager.IndexToNode(index))
    return tour_len(dist, order)


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def compile_cost() -> tuple[float, float]:
    """Seconds to import the kernels in a fresh process: with an empty numba cache (compile),
    then again with the cache it left (load)."""
    code = ("import time; t = time.perf_counter(); "
            "import hub.routing.kernels, hub.routing.single_block_kernels; "
            "print(time.perf_counter() - t)")
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        runs = [float(subprocess.run([sys.executable, "-c", code], env=env, check=True,
                                     capture_output=True, text=True).stdout)
                for _ in range(2)]
    return runs[0], runs[1]


def run_exact(dist: np.ndarray) -> float:
    ints = np.rint(dist * 10).astype(np.int64).tolist()
    tour = fast_tsp.solve_tsp_exact(ints)
    k = tour.index(0)
    tour = tour[k:] + tour[:k]
    return tour_len(dist, tour[1:])


def instance(layout: Layout, n: int, rng: np.random.Generator) -> Points:
    aisles = rng.integers(len(layout.aisle_names), size=n)
    bays = rng.integers(1, layout.total_bays + 1, size=n)
    keys = list(dict.fromkeys(zip(aisles.tolist(), bays.tolist(), strict=True)))
    a = np.array([k[0] for k in keys], dtype=np.int64)
    return Points(a, layout.bay_y(np.array([k[1] for k in keys], dtype=np.int64)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--instances", type=int, default=None)
    parser.add_argument("--only", default=None, metavar="AISLESxBAYSxBLOCKS:PICKS",
                        help="run one cell, e.g. 30x60x3:100")
    args = parser.parse_args()
    count = args.instances or (5 if args.quick else 30)
    long_s = 0.2 if args.quick else 1.0
    console = Console(width=260)
    if fast_tsp is None:
        console.print("[red]fast-tsp is not installed: its columns are empty")
    if pywrapcp is None:
        console.print("[red]OR-Tools is not installed: its columns are empty")
    console.print("peers: " + ", ".join(f"{name} {_version(name)}"
                                        for name in ("fast-tsp", "ortools")))
    cold, warm = compile_cost()
    console.print(f"kernel compile on first import (empty numba cache): {cold:.1f} s; "
                  f"import with the cache: {warm:.2f} s (not in any latency below)")
    table = Table(title=f"Pick routes: {count} seeded instances per cell, one thread")
    for col in ("layout", "n", "ref", "mean gap %", "max gap %", "optimal %", "p50 ms",
                "p99 ms", "vs S-shape %", "vs largest gap %", "OR-Tools gap % (mean/max)",
                "fast-tsp gap % (mean/max)", "fast-tsp to our tour ms",
                "to best known ms: ours / fast-tsp", "ours, seed 0 on every rung ms",
                f"typical run to best known ms ({RUNS_PER_RUNG} a rung): ours / fast-tsp"):
        table.add_column(col, justify="right")
    for aisles, bays, blocks, sizes in CELLS:
        layout = layout_from_dict({"aisles": aisles, "blocks": blocks,
                                   "bays_per_block": bays // blocks})
        for n in sizes:
            if args.only and args.only != f"{aisles}x{bays}x{blocks}:{n}":
                continue
            rng = np.random.default_rng(1000 * aisles + 10 * blocks + n)
            gaps, lat, s_save, lg_save, or_gaps, ft_gaps, ft_match = [], [], [], [], [], [], []
            ours_ref, ours_one_run, ft_ref = [], [], []
            ours_typical, ft_typical = [], []
            ref_kind = set()
            for _ in range(count):
                pts = instance(layout, n, rng)
                dist = stop_matrix(layout, pts)
                runs = [ours(layout, pts) for _ in range(3)]
                ours_len = runs[0][0]
                lat += [r[1] for r in runs]
                spent = float(np.median([r[1] for r in runs]))
                s_len = tour_len(dist, [i + 1 for i in policies.s_shape(layout, pts)])
                lg_len = tour_len(dist, [i + 1 for i in policies.largest_gap(layout, pts)])
                or_len = run_ortools(dist, spent)
                ft_len = run_fast_tsp(dist, spent)
                m = len(pts)
                if blocks == 1:
                    ref, kind = single_block.shortest_tour(layout, pts)[1], "DP"
                elif m <= 12:
                    ref, kind = exact.held_karp(dist)[1], "HK"
                elif m <= 19 and fast_tsp is not None:
                    ref, kind = run_exact(dist), "exact"
                else:
                    cands = [ours_len, ours(layout, pts, budget=long_s / 2)[0]]
                    cands += [x for x in (or_len, ft_len, run_fast_tsp(dist, long_s)) if x]
                    cands = [x for x in cands if np.isfinite(x)]
                    ref, kind = min(cands), "best known"
                ref_kind.add(kind)
                ref = min(ref, ours_len, *(x for x in (or_len, ft_len) if x))
                gaps.append(100 * (ours_len / ref - 1))
                s_save.append(100 * (1 - ours_len / s_len))
                lg_save.append(100 * (1 - ours_len / lg_len))
                if or_len is not None:
                    or_gaps.append(100 * (or_len / ref - 1))
                if ft_len is not None:
                    ft_gaps.append(100 * (ft_len / ref - 1))
                    ft_match.append(time_to(fast_tsp_run(layout, pts), ours_len))
                    ft_ref.append(time_to(fast_tsp_run(layout, pts), ref))
                    ours_ref.append(time_to(ours_run(layout, pts), ref))
                    ours_one_run.append(time_to(ours_run(layout, pts, fresh_seeds=False), ref))
                    ours_typical.append(time_to(ours_run(layout, pts), ref, RUNS_PER_RUNG))
                    ft_typical.append(time_to(fast_tsp_run(layout, pts), ref, RUNS_PER_RUNG))
            g = np.array(gaps)

            def pair(xs: list[float]) -> str:
                if not xs:
                    return "n/a"
                done = [x for x in xs if np.isfinite(x)]
                miss = f" ({len(xs) - len(done)} no tour)" if len(done) < len(xs) else ""
                return (f"{np.mean(done):.2f} / {np.max(done):.2f}" if done else "-") + miss

            table.add_row(
                f"{aisles}x{bays} {blocks}b", str(n), "/".join(sorted(ref_kind)),
                f"{g.mean():.3f}", f"{g.max():.3f}", f"{100 * np.mean(g < 1e-6):.0f}",
                f"{1000 * np.percentile(lat, 50):.1f}", f"{1000 * np.percentile(lat, 99):.1f}",
                f"{np.mean(s_save):.1f}", f"{np.mean(lg_save):.1f}", pair(or_gaps),
                pair(ft_gaps),
                f"p50 {np.median(ft_match):.3f}" if ft_match else "n/a",
                f"p50 {np.median(ours_ref):.3f} / {np.median(ft_ref):.3f}" if ft_ref else "n/a",
                f"p50 {np.median(ours_one_run):.3f}" if ours_one_run else "n/a",
                f"p50 {np.median(ours_typical):.3f} / {np.median(ft_typical):.3f}"
                if ft_typical else "n/a")
            console.print(f"done {aisles}x{bays} {blocks} blocks n={n}", style="dim")
    console.print(table)
    console.print("gap: ours against the reference (DP/HK/exact = proven optimum; best known = "
                  "best of all runs). Peers ran for our median time on the same instance. "
                  "Time to quality (ms, p50): both run along the same budget ladder, "
                  "0.01 ms..0.56 s in steps of 20 %, each charged the wall time of its first "
                  "run that reached the quality, distance matrix included: fast-tsp to our "
                  "tour; both to the reference tour. Every rung is an independent run for both "
                  "(fast-tsp seeds itself afresh on each call; ours gets the rung's number as "
                  "its seed); then ours with seed 0 on every rung, i.e. the time one run takes; "
                  f"last, a typical single run: {RUNS_PER_RUNG} independent runs of each at "
                  "every rung, charged at the first rung where most of them reach the best "
                  "known tour.")


if __name__ == "__main__":
    main()
