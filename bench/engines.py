"""The bench's one wrapper around the programs it times: the raw ``tesseract``
CLI (the floor), ``ocrmypdf`` and the ``sohoa`` CLI itself.

sohoa's own code runs tesseract through ``pipeline.tesseract``; the floor here
is deliberately the bare program with nothing around it. Every call has a
timeout and fails loudly: a benchmark that times a failure is worthless.
"""

from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import psutil

from sohoa.flows import prefect_processes

VENV_BIN = Path(sys.executable).parent
LANGUAGES = "vie+eng"
TIMEOUT_SECONDS = 1800.0
# Prefect's console log lines: "18:48:16.944 | INFO    | Flow run 'name' - message".
_LOG_LINE = re.compile(r"^(\d\d:\d\d:\d\d\.\d+) \| \w+ +\| Flow run '([^']+)' - (.*)$")
_BEGIN = re.compile(r"Beginning (?:sub)?flow run '[^']+' for flow '([^']+)'")
# Settings that would point a sohoa run at other backends or folders.
_SOHOA_PREFIXES = ("SOHOA_", "PREFECT_API_URL")


class BenchError(RuntimeError):
    """A timed program failed; the figures of that run are meaningless."""


def vm_hwm_kib(pid: int | str = "self") -> int:
    """A process's peak RSS in KiB since its exec (VmHWM; ``ru_maxrss`` would
    also count its parent's memory, inherited through fork); 0 once it has exited."""
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0  # a zombie keeps its status file but no memory lines


def run_program(
    args: list[str], env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Runs one program to completion; a non-zero exit raises ``BenchError``
    with the end of its stderr."""
    try:
        result = subprocess.run(
            args,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BenchError(f"{args[0]} could not run: {exc}") from exc
    if result.returncode != 0:
        tail = " | ".join(result.stderr.strip().splitlines()[-8:])
        raise BenchError(f"{' '.join(args[:3])}... exited {result.returncode}: {tail}")
    return result


@dataclass(frozen=True, slots=True)
class TreePeak:
    """Peaks of a process tree, sampled: RSS in MiB of the program and its
    children, of Prefect's temporary API server (a child measured apart), and
    the most tesseract processes running at once."""

    rss_mb: float = 0.0
    server_mb: float = 0.0
    tesseracts: int = 0


def _is_server(process: psutil.Process) -> bool:
    return any("prefect.server" in part for part in process.cmdline())


def _is_tesseract(process: psutil.Process) -> bool:
    """The ``tesseract`` program, or one of sohoa's Tesseract reader processes."""
    return process.name() == "tesseract" or any(
        "tesseract_reader" in part for part in process.cmdline()
    )


def _tree_sample(root: psutil.Process) -> TreePeak:
    """One sample; a Prefect server's children count as the server."""
    total, server, tesseracts = root.memory_info().rss, 0, 0
    servers: set[int] = set()
    for child in root.children(recursive=True):
        try:
            rss = child.memory_info().rss
            parent = child.parent()
            if _is_server(child) or (parent is not None and parent.pid in servers):
                servers.add(child.pid)
                server += rss
            else:
                total += rss
                tesseracts += _is_tesseract(child)
        except psutil.Error:
            continue  # it ended while being read
    return TreePeak(total / 2**20, server / 2**20, tesseracts)


def run_sampled(
    args: list[str], env: Mapping[str, str] | None = None, interval: float = 0.1
) -> tuple[subprocess.CompletedProcess[str], TreePeak]:
    """``run_program``, sampling the process tree's memory every ``interval`` s.
    Output goes to temporary files, so a chatty child never blocks on a pipe."""
    peak = TreePeak()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        child = subprocess.Popen(
            args, env=dict(env) if env is not None else None, stdout=out, stderr=err, text=True
        )
        watched = psutil.Process(child.pid)
        deadline = time.monotonic() + TIMEOUT_SECONDS
        while child.poll() is None:
            if time.monotonic() > deadline:
                child.kill()
                child.wait()
                raise BenchError(f"{args[0]} ran past {TIMEOUT_SECONDS:g} s")
            try:
                now = _tree_sample(watched)
                peak = TreePeak(
                    max(peak.rss_mb, now.rss_mb),
                    max(peak.server_mb, now.server_mb),
                    max(peak.tesseracts, now.tesseracts),
                )
            except psutil.Error:
                pass  # the program is ending
            time.sleep(interval)
        out.seek(0)
        err.seek(0)
        result = subprocess.CompletedProcess(args, child.returncode, out.read(), err.read())
    if result.returncode != 0:
        tail = " | ".join(result.stderr.strip().splitlines()[-8:])
        raise BenchError(f"{' '.join(args[:3])}... exited {result.returncode}: {tail}")
    return result, TreePeak(round(peak.rss_mb, 1), round(peak.server_mb, 1), peak.tesseracts)


def base_env(**extra: str) -> dict[str, str]:
    """This environment without sohoa/Prefect API settings and without a
    thread limit (each engine sets its own), plus ``extra``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(_SOHOA_PREFIXES) and k != "OMP_THREAD_LIMIT"
    }
    env.update(extra)
    return env


def children_cpu_seconds() -> float:
    """User + system CPU seconds of every child process waited for so far (and
    of their waited-for descendants): the CPU an engine burned, whatever the load."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _in_parallel(jobs: Iterable[list[str]], workers: int, env: dict[str, str]) -> float:
    """Runs the commands ``workers`` at a time; returns the wall seconds."""
    commands = list(jobs)
    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        for _ in pool.map(lambda args: run_program(args, env), commands):
            pass
    return time.perf_counter() - started


# --- the floor: bare tesseract ----------------------------------------------


@dataclass(frozen=True, slots=True)
class RasterPage:
    """One page as sohoa's rasterizer wrote it, for the floor."""

    image: Path
    dpi: int


def _tesseract_args(page: RasterPage, out_dir: Path) -> list[str]:
    output = out_dir / page.image.stem
    return [
        "tesseract",
        str(page.image),
        str(output),
        "-l",
        LANGUAGES,
        "--dpi",
        str(page.dpi),
        "txt",
    ]


def tesseract_floor(pages: list[RasterPage], out_dir: Path, workers: int = 2) -> float:
    """``tesseract PAGE OUT -l vie+eng --dpi N txt`` for every page, ``workers``
    at a time, one OpenMP thread each; writes ``<out_dir>/<png stem>.txt``.
    Returns the wall seconds."""
    out_dir.mkdir(parents=True, exist_ok=True)
    jobs = [_tesseract_args(page, out_dir) for page in pages]
    return _in_parallel(jobs, workers, base_env(OMP_THREAD_LIMIT="1"))


# --- OCRmyPDF ----------------------------------------------------------------

# Its fastest output: plain PDF (no PDF/A conversion, no Ghostscript) and no
# image optimization; --sidecar writes the text for the accuracy figures.
OCRMYPDF_FLAGS = ("--deskew", "--rotate-pages", "-l", LANGUAGES, "--output-type", "pdf")
OCRMYPDF_FAST = ("--optimize", "0", "--quiet")


def ocrmypdf_version() -> str:
    return run_program([str(VENV_BIN / "ocrmypdf"), "--version"]).stdout.strip()


def _ocrmypdf_args(source: Path, out_dir: Path, jobs: int) -> list[str]:
    out = out_dir / source.name
    return [
        str(VENV_BIN / "ocrmypdf"),
        *OCRMYPDF_FLAGS,
        *OCRMYPDF_FAST,
        "-j",
        str(jobs),
        "--sidecar",
        str(out.with_suffix(".txt")),
        str(source),
        str(out.with_suffix(".pdf")),
    ]


def ocrmypdf_files_sequential(files: list[Path], out_dir: Path, jobs: int = 2) -> float:
    """One ``ocrmypdf -j 2`` after another, OCRmyPDF choosing Tesseract's threads."""
    out_dir.mkdir(parents=True, exist_ok=True)
    env = base_env()
    started = time.perf_counter()
    for source in files:
        run_program(_ocrmypdf_args(source, out_dir, jobs), env)
    return time.perf_counter() - started


def ocrmypdf_process_per_core(files: list[Path], out_dir: Path, workers: int = 2) -> float:
    """``workers`` single-job ``ocrmypdf -j 1`` processes at a time over the files,
    one OpenMP thread each."""
    out_dir.mkdir(parents=True, exist_ok=True)
    jobs = [_ocrmypdf_args(source, out_dir, 1) for source in files]
    return _in_parallel(jobs, workers, base_env(OMP_THREAD_LIMIT="1"))


# --- sohoa ingest ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IngestTiming:
    """Seconds of one ``sohoa ingest`` run.

    ``wall``: the whole command. ``ingest_flow``: the poll-inbox flow run, from
    its first to its last log line: all of the ingest work, without the
    interpreter start and Prefect's temporary server start. ``batch_flow``:
    the digitize-batch subflow alone.
    """

    wall: float
    ingest_flow: float
    batch_flow: float
    memory: TreePeak

    @property
    def startup(self) -> float:
        return self.wall - self.ingest_flow


def sohoa_env(
    data_dir: Path, prefect_home: Path, workers: int, api_url: str | None = None
) -> dict[str, str]:
    """Embedded backends under ``data_dir``; batches taken at once (READY).
    With ``api_url`` the command uses that running Prefect server; without,
    it starts its own temporary one."""
    extra = {"PREFECT_API_URL": api_url} if api_url else {}
    return base_env(
        SOHOA_DATA_DIR=str(data_dir),
        SOHOA_WORKERS=str(workers),
        SOHOA_QUIET_SECONDS="0",
        PREFECT_HOME=str(prefect_home),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="180",
        **extra,
    )


@contextmanager
def prefect_server(home: Path) -> Iterator[str]:
    """A Prefect API server of its own (as a deployment keeps running), in its
    own process group under ``home``; yields its API URL, then stops it."""
    with prefect_processes.prefect_server(home, base_env()) as url:
        yield url


def sohoa_ingest(inbox: Path, env: dict[str, str]) -> IngestTiming:
    """``sohoa --verbose ingest INBOX``; flow times come from Prefect's log."""
    started = time.perf_counter()
    command = [str(VENV_BIN / "sohoa"), "--verbose", "ingest", str(inbox)]
    result, memory = run_sampled(command, env)
    wall = time.perf_counter() - started
    spans = flow_spans(result.stderr.splitlines())
    if "poll-inbox" not in spans or "digitize-batch" not in spans:
        raise BenchError(f"no flow timings in the sohoa log: {result.stderr[-600:]}")
    return IngestTiming(wall, spans["poll-inbox"], spans["digitize-batch"], memory)


def flow_spans(lines: Iterable[str]) -> dict[str, float]:
    """Seconds from the first to the last log line of each flow run, by flow
    name (the last run of a name wins)."""
    names: dict[str, str] = {}
    first: dict[str, datetime] = {}
    last: dict[str, datetime] = {}
    for line in lines:
        match = _LOG_LINE.match(line.strip())
        if not match:
            continue
        stamp, run, message = match.groups()
        when = datetime.strptime(stamp, "%H:%M:%S.%f")
        begin = _BEGIN.search(message)
        if begin:
            names[run] = begin.group(1)
        if run in first and when < first[run]:
            when += timedelta(days=1)  # the run went past midnight
        first.setdefault(run, when)
        last[run] = when
    return {name: (last[run] - first[run]).total_seconds() for run, name in names.items()}
