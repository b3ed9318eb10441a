"""Tesseract, the first OCR engine behind ``sohoa.pipeline.ocr_engine.OcrEngine``:
version and language checks, orientation detection (OSD) and OCR to word
boxes. No other module runs Tesseract.

Pages are read by Tesseract's library in long-lived reader processes
(``sohoa.pipeline.tesseract_reader``), one per worker thread, which keep the
language models loaded. The ``tesseract`` program loads them for every page:
0.15-0.25 CPU s per call, a tenth of a page's OCR. A reader runs with
``OMP_THREAD_LIMIT=1`` (sohoa's workers already fill the cores), and every
call has a timeout: a reader that runs past it, or crashes, is stopped and
replaced, and only that page fails. The version and language probes run the
``tesseract`` program through the one subprocess helper.

Threading: the functions are safe to call from several processes or
threads at once; each call has a reader to itself, and the version and
language lists are cached per process.
"""

from __future__ import annotations

import atexit
import importlib.util
import json
import logging
import os
import re
import select
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import numpy as np

from sohoa.core.errors import MissingDependencyError, OcrTimeout, ProcessingError
from sohoa.pipeline.external import run_program, stderr_tail
from sohoa.pipeline.ocr import UNKNOWN_ORIENTATION, OcrResult, Orientation, parse_tsv

log = logging.getLogger(__name__)

TESSERACT = "tesseract"
MIN_MAJOR_VERSION = 4  # the LSTM engine
PROBE_TIMEOUT = 30.0
INSTALL_HINT = "apt-get install tesseract-ocr"
# OSD gives up on pages with fewer characters than this (Tesseract's default is 50).
OSD_MIN_CHARACTERS = 20


@lru_cache(maxsize=1)
def tesseract_version() -> str:
    """The installed Tesseract version, e.g. "5.3.0"; checked once per process.

    Raises:
        MissingDependencyError: tesseract is absent or older than 4.
    """
    result = run_program([TESSERACT, "--version"], timeout=PROBE_TIMEOUT, install_hint=INSTALL_HINT)
    output = (result.stdout + result.stderr).decode("utf-8", "replace")
    match = re.search(r"tesseract\s+v?(\d+)\.(\d+)\.?(\d*)", output)
    if result.returncode != 0 or match is None:
        raise MissingDependencyError(
            f"Could not read the Tesseract version ({output.strip()[:200]!r}): {INSTALL_HINT}"
        )
    version = ".".join(g for g in match.groups() if g)
    if int(match.group(1)) < MIN_MAJOR_VERSION:
        raise MissingDependencyError(
            f"Tesseract {version} is too old; sohoa needs {MIN_MAJOR_VERSION} or newer: "
            f"{INSTALL_HINT}"
        )
    return version


@lru_cache(maxsize=1)
def installed_languages() -> frozenset[str]:
    """Language packs Tesseract can load (including "osd" when installed)."""
    tesseract_version()
    result = run_program(
        [TESSERACT, "--list-langs"], timeout=PROBE_TIMEOUT, install_hint=INSTALL_HINT
    )
    if result.returncode != 0:
        raise MissingDependencyError(
            f"Tesseract could not list its languages ({stderr_tail(result.stderr)}): {INSTALL_HINT}"
        )
    lines = result.stdout.decode("utf-8", "replace").splitlines()
    return frozenset(line.strip() for line in lines[1:] if line.strip())


def _language_package(language: str) -> str:
    return "tesseract-ocr-" + language.lower().replace("_", "-")


def check_languages(languages: str) -> None:
    """Checks that every pack in a "vie+eng"-style list is installed.

    Raises:
        MissingDependencyError: naming the first missing pack and its package.
    """
    installed = installed_languages()
    for language in languages.split("+"):
        if not language:
            continue
        if language not in installed:
            raise MissingDependencyError(
                f"Tesseract language {language!r} is not installed: "
                f"apt-get install {_language_package(language)}"
            )


# The TSV header the ``tesseract`` program writes; the library gives only the rows.
TSV_HEADER = (
    "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num"
    "\tleft\ttop\twidth\theight\tconf\ttext\n"
)
# Page segmentation modes: the full layout analysis, or the page as one block
# of text (a better judge of which way up a receipt is; see orientation.py).
PSM_OSD_ONLY = 0
PSM_AUTO = 3
PSM_ONE_BLOCK = 6
READER_MODULE = "sohoa.pipeline.tesseract_reader"
READER_HINT = "tesserocr is not installed in this Python: run make setup"


def check_reader_installed() -> None:
    """Raises MissingDependencyError unless this Python can run a reader."""
    if importlib.util.find_spec("tesserocr") is None:
        raise MissingDependencyError(READER_HINT)


class _Reader:
    """One ``tesseract_reader`` process, used by one thread at a time."""

    def __init__(self) -> None:
        check_reader_installed()
        self.process = subprocess.Popen(
            [sys.executable, "-m", READER_MODULE],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            # Tesseract's own OpenMP threads would compete with the other workers.
            env={**os.environ, "OMP_THREAD_LIMIT": "1"},
        )

    def ask(self, request: dict[str, Any], image: np.ndarray, timeout: float) -> dict[str, Any]:
        """Sends one request and waits up to ``timeout`` seconds for its reply.

        Raises:
            OcrTimeout: no reply in time; the process is stopped.
            ProcessingError: the process died (a crash in Tesseract).
        """
        pixels = np.ascontiguousarray(image, dtype=np.uint8)
        height, width = pixels.shape
        header = {**request, "width": width, "height": height}
        assert self.process.stdin is not None and self.process.stdout is not None
        try:
            self.process.stdin.write(json.dumps(header).encode() + b"\n")
            self.process.stdin.write(pixels.data)
            self.process.stdin.flush()
            line = _read_line(self.process.stdout.fileno(), time.monotonic() + timeout)
        except TimeoutError as exc:
            self.stop()
            raise OcrTimeout(
                f"Tesseract took longer than {timeout:g} s to {request['op']} a page and was "
                "stopped; check the page image or raise the OCR timeout."
            ) from exc
        except (BrokenPipeError, EOFError) as exc:
            self.stop()
            raise ProcessingError(
                f"Tesseract stopped while it read a {width}x{height} px page image "
                f"({_ended(self.process.returncode)}); the page may be damaged."
            ) from exc
        except BaseException:  # mid-request: its next reply could answer this request
            self.stop()
            raise
        return dict(json.loads(line))

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.alive:
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()


def _read_line(fd: int, deadline: float) -> bytes:
    """One line from ``fd``, which nothing else reads, by ``deadline``."""
    chunks: list[bytes] = []
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
            raise TimeoutError
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        if chunk.endswith(b"\n"):
            return b"".join(chunks)


def _ended(returncode: int | None) -> str:
    if returncode is not None and returncode < 0:
        return f"signal {-returncode}"
    return f"exit {returncode}"


class _Readers:
    """The readers of this process. A thread takes an idle one per call, and a
    new one starts when none is idle, so there are as many as calls at once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: list[_Reader] = []
        self._started: list[_Reader] = []
        self._pid = os.getpid()
        atexit.register(self.stop)

    @contextmanager
    def reader(self) -> Iterator[_Reader]:
        with self._lock:
            if self._pid != os.getpid():  # a forked child: its parent's readers are not its own
                self._idle, self._started, self._pid = [], [], os.getpid()
            reader = self._take_idle()
        if reader is None:
            reader = _Reader()
            with self._lock:
                self._started.append(reader)
        try:
            yield reader
        finally:
            with self._lock:
                if reader.alive:
                    self._idle.append(reader)
                elif reader in self._started:
                    self._started.remove(reader)

    def _take_idle(self) -> _Reader | None:
        while self._idle:
            reader = self._idle.pop()
            if reader.alive:
                return reader
            reader.stop()  # it died while idle (killed for memory, say)
            self._started.remove(reader)
        return None

    def stop(self) -> None:
        """Stops every reader, busy or idle, and waits for each to end."""
        with self._lock:
            started, self._idle, self._started = self._started, [], []
        for reader in started:
            reader.stop()


_READERS = _Readers()


def stop_readers() -> None:
    """Ends this process's reader processes (they start again when needed).

    Runs at exit; a command that may end without running ``atexit`` hooks
    (a forked child leaving through ``os._exit``) calls it itself.
    """
    _READERS.stop()


def _ask(request: dict[str, Any], image: np.ndarray, timeout: float) -> dict[str, Any]:
    with _READERS.reader() as reader:
        reply = reader.ask(request, image, timeout)
    if "failed" in reply:
        raise ProcessingError(f"Tesseract could not {request['op']} the page: {reply['failed']}")
    return reply


def detect_orientation(image: np.ndarray, timeout: float, dpi: int = 150) -> Orientation:
    """Tesseract OSD on an in-memory image.

    Pass a downscaled, binarized copy: OSD cost grows with the pixel count and
    it needs only some 20 lines of text at 100-150 DPI.

    Args:
        image: grayscale or binary uint8 image (2-D).
        timeout: seconds before Tesseract is stopped.
        dpi: resolution of ``image``, so Tesseract need not guess it.

    Returns:
        The rotation; ``Orientation(0, 0.0)`` when the page has too little
        text for OSD to decide.
    """
    check_languages("osd")
    request = {
        "op": "osd",
        "languages": "osd",
        "psm": PSM_OSD_ONLY,
        "dpi": dpi,
        "min_characters": OSD_MIN_CHARACTERS,
    }
    reply = _ask(request, image, timeout)
    if reply.get("osd") is None:
        log.debug("Tesseract OSD found too few characters to tell which way up the page is")
        return UNKNOWN_ORIENTATION
    degrees, confidence = reply["osd"]
    # OSD names the page's turn; sohoa stores the turn that undoes it.
    return Orientation((360 - int(degrees)) % 360, round(float(confidence), 2))


def recognize(
    image: np.ndarray, languages: str, dpi: int, timeout: float, one_block: bool = False
) -> OcrResult:
    """The words of an upright page image, with boxes and confidences.

    Args:
        image: grayscale or binary uint8 image (2-D).
        languages: e.g. "vie+eng".
        dpi: resolution of the image.
        timeout: seconds before Tesseract is stopped.
        one_block: read the image as one block of text, without layout analysis.

    Raises:
        MissingDependencyError: Tesseract, tesserocr or a language pack is missing.
        OcrTimeout: Tesseract ran past ``timeout``.
        ProcessingError: Tesseract failed or crashed.
    """
    check_languages(languages)
    request = {
        "op": "read",
        "languages": languages,
        "psm": PSM_ONE_BLOCK if one_block else PSM_AUTO,
        "dpi": dpi,
    }
    reply = _ask(request, image, timeout)
    if "no_text" in reply:
        log.warning("Tesseract read no text: %s", reply["no_text"])
        return parse_tsv(TSV_HEADER)
    return parse_tsv(TSV_HEADER + reply["tsv"])


class TesseractEngine:
    """Tesseract as an ``OcrEngine``; stateless, safe from any thread or process."""

    name = "tesseract"

    def check(self, languages: str) -> None:
        check_languages(languages)
        check_reader_installed()

    def close(self) -> None:
        stop_readers()

    def detect_orientation(self, image: np.ndarray, dpi: int, timeout: float) -> Orientation:
        return detect_orientation(image, timeout, dpi=dpi)

    def recognize(
        self,
        image: np.ndarray,
        languages: str,
        dpi: int,
        timeout: float,
        one_block: bool = False,
    ) -> OcrResult:
        return recognize(image, languages, dpi, timeout, one_block)
