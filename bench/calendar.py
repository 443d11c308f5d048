"""Benchmark: add N working days to many dates, vectorised (numpy) vs Python loops.

Run with ``python bench/calendar.py [--size 100000] [--n 10] [--repeats 5]``. Takes about 10-20 s.

Compares, in one process and on the same random dates (2001-2058):

* ``WorkingCalendar.add_working_days_many`` (one ``numpy.busday_offset`` call);
* a plain Python loop stepping day by day with a set of non-working days (the baseline);
* a Python loop calling the scalar ``WorkingCalendar.add_working_days`` (one numpy call per date).

All three must give identical results. Prints the median of the repeats and the speed-ups.
"""

import sys
from pathlib import Path

# This file is called calendar.py: run as a script, its folder comes first on sys.path and would shadow the
# standard library's ``calendar`` module (which dateutil imports). Drop that folder before importing more.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from datetime import date, timedelta  # noqa: E402

import numpy as np  # noqa: E402

from handover.domain.calendar import WorkingCalendar  # noqa: E402


def loop_step_by_day(starts: list[date], n: int, closed: set[date]) -> list[date]:
    """Reference loop with the module's counting convention (n >= 1): start is day 0, skip closed days."""
    one = timedelta(days=1)
    out = []
    for d in starts:
        for _ in range(n):
            d += one
            while d.weekday() >= 5 or d in closed:
                d += one
        out.append(d)
    return out


def loop_scalar_method(cal: WorkingCalendar, starts: list[date], n: int) -> list[date]:
    return [cal.add_working_days(d, n) for d in starts]


def timed(fn: Callable[[], object], repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000, help="number of start dates")
    parser.add_argument("--n", type=int, default=10, help="working days to add (>= 1)")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    if args.n < 1:
        parser.error("--n must be at least 1")

    cal = WorkingCalendar(closure_days=[date(2025, 12, 29), date(2025, 12, 30), date(2025, 12, 31)])
    closed = set(cal.bank_holidays) | set(cal.closure_days)
    rng = np.random.default_rng(20250417)
    lo, hi = np.datetime64("2001-01-01"), np.datetime64("2058-12-31")
    arr = lo + rng.integers(0, int((hi - lo).astype(np.int64)), size=args.size).astype("timedelta64[D]")
    starts: list[date] = arr.tolist()

    print(f"adding {args.n} working days to {args.size:,} dates, median of {args.repeats} runs")
    t_vec, vec = timed(lambda: cal.add_working_days_many(arr, args.n), args.repeats)
    t_step, step = timed(lambda: loop_step_by_day(starts, args.n, closed), args.repeats)
    t_scalar, scalar = timed(lambda: loop_scalar_method(cal, starts, args.n), args.repeats)

    vec_list = vec.tolist()  # type: ignore[union-attr]
    if not (vec_list == step == scalar):
        print("MISMATCH between methods", file=sys.stderr)
        return 1

    print(f"  vectorised add_working_days_many : {t_vec * 1000:10.2f} ms")
    print(f"  Python loop, day by day (set)    : {t_step * 1000:10.2f} ms  ({t_step / t_vec:6.1f}x slower)")
    print(
        f"  Python loop, scalar method       : {t_scalar * 1000:10.2f} ms  ({t_scalar / t_vec:6.1f}x slower)"
    )
    print(f"ratio day-by-day loop / vectorised: {t_step / t_vec:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
