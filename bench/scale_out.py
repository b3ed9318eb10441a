"""Scale-out speed-up: the same inbox of one-page batches digitized by one and
by two Prefect process workers (each a process per batch run, one page at a
time), on the embedded backends.

    .venv/bin/python bench/scale_out.py [--batches 20]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sohoa.flows import prefect_env  # noqa: E402

prefect_env.configure()

from tests.helpers.scale_out import digitize_on_workers, fill_inbox  # noqa: E402

WORK = REPO / "bench" / "work" / "scale-out"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=20)
    args = parser.parse_args()
    results: dict[str, object] = {
        "command": f"bench/scale_out.py --batches {args.batches}",
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "nproc": os.cpu_count(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }
    for workers in (1, 2):
        site = WORK / f"{workers}-workers"
        shutil.rmtree(site, ignore_errors=True)
        fill_inbox(site / "inbox", args.batches, first_seed=300)
        (site / "inbox" / ".sohoa-inbox").touch()
        run = digitize_on_workers(site, args.batches, workers)
        results[f"{workers}_workers"] = {
            "seconds": run.seconds,
            "runs_per_worker": run.runs_per_worker,
        }
        print(f"{workers} worker(s): {args.batches} batches in {run.seconds} s {run}", flush=True)
    one = results["1_workers"]["seconds"]  # type: ignore[index]
    two = results["2_workers"]["seconds"]  # type: ignore[index]
    results["speed_up"] = round(one / two, 2)
    results["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    out = REPO / "bench" / "scale_out.json"
    out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
