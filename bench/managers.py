"""The managers' figures: `sohoa report` on a generated year (100,000 register
dossiers, 8 units) on SQLite and on the live PostgreSQL, and the peak memory
of `sohoa register import` over 500,000 CSV rows. A section of `make bench`
(`bench/run.py --only managers` runs it alone); or by itself:

    .venv/bin/python bench/managers.py        -> bench/work/managers.json
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


from bench import services  # noqa: E402
from bench.engines import vm_hwm_kib  # noqa: E402
from sohoa.app import register_samples  # noqa: E402
from tests.helpers.databases import fresh_postgresql_database  # noqa: E402

WORK = REPO / "bench" / "work" / "managers"


def _sohoa(args: list[str], database_url: str) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user + system) and peak RSS (MiB) of one `sohoa`
    command in a fresh process. The peak is its VmHWM, sampled every 20 ms:
    ``ru_maxrss`` would count this bench's own memory, held when the child forked."""
    env = {**os.environ, "SOHOA_DATABASE": database_url, "SOHOA_DATA_DIR": str(WORK / "data"),
           "PYTHONPATH": str(REPO)}  # fmt: skip
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "sohoa", *args], env=env,
                               stdout=subprocess.DEVNULL)  # fmt: skip
    peak_kib = 0
    while True:
        peak_kib = max(peak_kib, vm_hwm_kib(process.pid))
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        time.sleep(0.02)
    process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise subprocess.CalledProcessError(process.returncode, ["sohoa", *args])
    return seconds, usage.ru_utime + usage.ru_stime, peak_kib // 1024


def report_timings(data: register_samples.GeneratedData, url: str, runs: int = 3) -> dict[str, Any]:
    register_samples.write(url, data)
    _sohoa(["report", "--month", "2024-12", "--out", str(WORK / "out")], url)  # warm-up
    measured = [
        _sohoa(["report", "--month", "2024-12", "--out", str(WORK / "out")], url)
        for _ in range(runs)
    ]
    times = sorted(wall for wall, _, _ in measured)
    cpu = sorted(used for _, used, _ in measured)
    return {
        "runs_s": [round(wall, 2) for wall, _, _ in measured],
        "median_s": round(times[runs // 2], 2),
        "cpu_s": [round(used, 2) for _, used, _ in measured],
        "median_cpu_s": round(cpu[runs // 2], 2),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def import_memory(rows: int = 500_000) -> dict[str, Any]:
    path = WORK / f"register-{rows}.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["Mã hồ sơ", "Thủ tục", "Đơn vị", "Ngày tiếp nhận", "Kênh", "Ngày trả kết quả"]
        )
        for n in range(rows):
            day = f"{1 + n % 28:02d}/01/2024"
            code = f"000.00.12.H29-240101-{n:07d}"
            writer.writerow([code, "Khai sinh", "UBND phường Bến Nghé", day, "trực tuyến", ""])
    url = f"sqlite:///{WORK / f'import-{rows}.sqlite3'}"
    seconds, _, peak = _sohoa(["register", "import", str(path)], url)
    return {"rows": rows, "seconds": round(seconds, 1), "peak_rss_mib": peak}


def run_managers(log: Callable[[str], None] = print) -> dict[str, Any]:
    WORK.mkdir(parents=True, exist_ok=True)
    for old in WORK.glob("*.sqlite3*"):
        old.unlink()
    data = register_samples.generate(100_000)
    results: dict[str, Any] = {"dossiers": len(data.dossiers), "records": len(data.records)}
    results["sqlite"] = report_timings(data, f"sqlite:///{WORK / 'report.sqlite3'}")
    log(f"managers: sohoa report on SQLite {results['sqlite']}")
    server = services.postgresql_url()
    if server:
        with fresh_postgresql_database(server) as url:
            results["postgresql"] = report_timings(data, url)
            log(f"managers: sohoa report on PostgreSQL {results['postgresql']}")
    # Two sizes: bounded memory is the same peak for five times the rows.
    results["register_import_small"] = import_memory(100_000)
    results["register_import"] = import_memory(500_000)
    log(
        f"managers: register import {results['register_import_small']} {results['register_import']}"
    )
    results["load_average"] = [round(x, 2) for x in os.getloadavg()]
    return results


def main() -> None:
    results = run_managers()
    (WORK.parent / "managers.json").write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
