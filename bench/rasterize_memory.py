"""Peak memory of rendering every page of a PDF one page at a time.

Builds a 20-page and a 200-page PDF from one generated A4 scan (img2pdf), then
renders every page of each with ``render_page`` in a fresh process and prints
the peak RSS of that Python process (VmHWM) and, sampled every 5 ms with
psutil from outside, of its poppler children and of the two together.
The two sizes should need about the same memory: pages are rendered one at a
time.

    .venv/bin/python bench/rasterize_memory.py [--dpi 300] [--pages 20 200]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import img2pdf
import psutil
from PIL import Image, ImageDraw, ImageFont

from sohoa.pipeline.preflight import IntakeLimits, inspect_file
from sohoa.pipeline.rasterize import render_page

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"
A4_AT_300 = (2480, 3508)
POPPLER = {"pdfinfo", "pdftoppm", "pdfimages"}
LIMITS = IntakeLimits(max_file_bytes=1 << 30, max_page_pixels=200_000_000, min_image_side=64)


def make_scan(path: Path) -> Path:
    """One A4 page at 300 dpi with lines of Vietnamese text, as a JPEG."""
    image = Image.new("L", A4_AT_300, 250)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(FONT, 42)
    for row in range(60):
        line = f"Dòng {row + 1}: Ủy ban nhân dân phường Đống Đa"
        draw.text((200, 200 + row * 52), line, font=font, fill=0)
    image.save(path, dpi=(300, 300), quality=85)
    return path


def render_all(pdf: Path, dpi: int, embedded: bool) -> None:
    """Child process: render every page, then print its peak RSS (KiB) and seconds."""
    source = inspect_file(pdf, LIMITS)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "page.tif"
        for index in range(source.page_count):
            render_page(source, index, dpi, out, 120, use_embedded_image=embedded)
            out.unlink()
    elapsed = time.perf_counter() - started
    print(source.page_count, peak_rss_kib(), elapsed)


def peak_rss_kib() -> int:
    """This process's peak RSS since exec (VmHWM); ``ru_maxrss`` would also count
    the parent's memory, inherited through fork before exec."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")


def measure(pdf: Path, dpi: int, embedded: bool) -> tuple[int, int, int, int, float]:
    """Run ``render_all`` in a child; sample its poppler children's RSS meanwhile.

    Returns pages, Python peak, poppler peak, peak of both together (KiB), seconds.
    """
    command = [sys.executable, __file__, "--child", str(pdf), "--dpi", str(dpi)]
    if embedded:
        command.append("--embedded")
    child_peak = total_peak = 0
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as child:
        watched = psutil.Process(child.pid)
        while child.poll() is None:
            try:
                helpers = sum(
                    p.memory_info().rss
                    for p in watched.children(recursive=True)
                    if p.name() in POPPLER  # not a just-forked Python before its exec
                )
                total = helpers + watched.memory_info().rss
            except psutil.Error:
                continue  # a process ended while being read
            child_peak, total_peak = max(child_peak, helpers), max(total_peak, total)
            time.sleep(0.005)
        output = child.stdout.read().split() if child.stdout else []
    if child.returncode != 0 or len(output) != 3:
        raise SystemExit(f"rendering {pdf} failed (exit {child.returncode})")
    pages, own, seconds = int(output[0]), int(output[1]), float(output[2])
    return pages, own, child_peak // 1024, total_peak // 1024, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dpi", type=int, default=300)
    parser.add_argument("--pages", type=int, nargs="+", default=[20, 200])
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--embedded", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        render_all(args.child, args.dpi, args.embedded)
        return
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        scan = make_scan(folder / "scan.jpg")
        print(f"page image: {A4_AT_300[0]}x{A4_AT_300[1]} JPEG, {scan.stat().st_size // 1024} KiB")
        print("pages  path                python MiB  poppler MiB  together MiB  seconds  s/page")
        for pages in args.pages:
            pdf = folder / f"{pages}.pdf"
            pdf.write_bytes(img2pdf.convert([str(scan)] * pages))
            for embedded, label in ((False, f"pdftoppm {args.dpi} dpi"), (True, "embedded image")):
                count, own, child, total, seconds = measure(pdf, args.dpi, embedded)
                print(
                    f"{count:5d}  {label:18s}  {own / 1024:10.1f}  {child / 1024:11.1f}"
                    f"  {total / 1024:12.1f}  {seconds:7.1f}  {seconds / count:6.2f}"
                )


if __name__ == "__main__":
    main()
