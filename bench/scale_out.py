"""Scale-out speed-up: the same inbox of one-page batches digitized by one and
by two Prefect process workers (each a process per batch run, two runs at a
time), on the embedded backends. A section of `make bench`
(`bench/run.py --only scale_out --merge` runs it alone); or by itself:

    .venv/bin/python bench/scale_out.py [--batches 20]   -> bench/work/scale_out.json
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from sohoa.flows import prefect_env  # noqa: E402

prefect_env.configure()

from bench import services  # noqa: E402
from tests.helpers.scale_out import digitize_on_workers, fill_inbox, prefect_database  # noqa: E402

WORK = REPO / "bench" / "work" / "scale-out"
BATCHES = 20


def run_scale_out(batches: int, log: Callable[[str], None]) -> dict[str, Any]:
    """Seconds from the poll to the last batch run completed, on one and on two workers."""
    server = services.postgresql_url()
    results: dict[str, Any] = {
        "batches": batches,
        "nproc": os.cpu_count(),
        "prefect_database": "PostgreSQL" if server else "SQLite",
    }
    for workers in (1, 2):
        site = WORK / f"{workers}-workers"
        shutil.rmtree(site, ignore_errors=True)
        fill_inbox(site / "inbox", batches, first_seed=300)
        (site / "inbox" / ".sohoa-inbox").touch()
        with ExitStack() as stack:
            # The Prefect server on PostgreSQL, as README advises for several workers.
            database = stack.enter_context(prefect_database(server)) if server else None
            run = digitize_on_workers(
                site, batches, workers, timeout=1800, prefect_database_url=database
            )
        results[f"{workers}_workers"] = {
            "seconds": run.seconds,
            "runs_per_worker": run.runs_per_worker,
        }
        log(f"scale-out: {workers} worker(s), {batches} batches in {run.seconds} s {run}")
    results["speed_up"] = round(
        results["1_workers"]["seconds"] / results["2_workers"]["seconds"], 2
    )
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=BATCHES)
    args = parser.parse_args()
    results = run_scale_out(args.batches, lambda message: print(message, flush=True))
    out = REPO / "bench" / "work" / "scale_out.json"
    out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
