"""A hostile batch of 45 entries, digitized in one run: each ends as stored,
duplicate, quarantined with its reject code, or skipped with a reason, and the
report accounts for every one. Nothing outside the batch is opened or stored,
and no good scan is quarantined."""

from __future__ import annotations

import io
import os
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

import pikepdf
import pytest
from PIL import Image

from sohoa.flows.digitize import digitize_batch
from sohoa.models import FileStatus
from tests.helpers.faults import sha256_of
from tests.helpers.pages import small_scan

pytestmark = pytest.mark.ocr

STORED, DUPLICATE, SKIPPED = "stored", "duplicate", "skipped"
Maker = Callable[[Path, Path], None]  # (path in the batch, a folder outside it)


def _scan(text: str = "Ho so tot\nda so hoa") -> Image.Image:
    return small_scan(text)


def _png(text: str) -> Maker:
    return lambda path, _: _scan(text).save(path, format="PNG", dpi=(300, 300))


def _bytes(data: bytes) -> Maker:
    return lambda path, _: path.write_bytes(data)


def _pdf_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="PDF", resolution=300)
    return buffer.getvalue()


def _pdf_with(extra: Callable[[pikepdf.Pdf], None], text: str) -> Maker:
    def make(path: Path, _: Path) -> None:
        with pikepdf.open(io.BytesIO(_pdf_bytes(_scan(text)))) as pdf:
            extra(pdf)
            pdf.save(path)

    return make


def _javascript(pdf: pikepdf.Pdf) -> None:
    action = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)"))
    pdf.Root.OpenAction = pdf.make_indirect(action)


def _xfa(pdf: pikepdf.Pdf) -> None:
    xfa = pdf.make_stream(b"<xdp:xdp xmlns:xdp='http://ns.adobe.com/xdp/'/>")
    pdf.Root.AcroForm = pikepdf.Dictionary(Fields=pikepdf.Array(), XFA=xfa)


def _encrypted(path: Path, _: Path) -> None:
    with pikepdf.open(io.BytesIO(_pdf_bytes(_scan("bi mat")))) as pdf:
        pdf.save(path, encryption=pikepdf.Encryption(user="secret", owner="owner"))


def _no_pages(path: Path, _: Path) -> None:
    with pikepdf.new() as pdf:
        pdf.save(path)


def _png_claiming(width: int, height: int) -> bytes:
    """A real PNG whose header claims ``width`` x ``height`` (a decompression bomb's)."""
    buffer = io.BytesIO()
    Image.new("1", (8, 8)).save(buffer, format="PNG")
    data = bytearray(buffer.getvalue())
    header = b"IHDR" + struct.pack(">II", width, height) + bytes(data[24:29])
    data[12:29] = header
    data[29:33] = struct.pack(">I", zlib.crc32(header))
    return bytes(data)


def _frames(path: Path, _: Path) -> None:
    frames = [Image.new("L", (200, 120), "white") for _ in range(49)]
    _scan("Trang dau\nnam muoi trang").save(
        path, save_all=True, append_images=frames, dpi=(300, 300), compression="tiff_lzw"
    )


def _cmyk(path: Path, _: Path) -> None:
    _scan("Ban CMYK\nmau in").convert("CMYK").save(path, format="JPEG", dpi=(300, 300))


def _sixteen_bit(path: Path, _: Path) -> None:
    image = _scan("Anh 16 bit\nxam").convert("I")
    image.point(lambda v: v * 257).convert("I;16").save(path, format="PNG", dpi=(300, 300))


def _link_to(target: Callable[[Path], Path]) -> Maker:
    return lambda path, outside: path.symlink_to(target(outside))


def _outside_scan(outside: Path) -> Path:
    scan = outside / "secret-scan.png"
    if not scan.exists():
        _scan("Ho so ngoai hop\nkhong duoc lay").save(scan, dpi=(300, 300))
    return scan


def _hard_link(path: Path, outside: Path) -> None:
    os.link(_outside_scan(outside), path)


def _fifo(path: Path, _: Path) -> None:
    os.mkfifo(path)


def _copy_of(name: str) -> Maker:
    return lambda path, _: path.write_bytes((path.parent / name).read_bytes())


def _folder_link(path: Path, outside: Path) -> None:
    (outside / "folder").mkdir(exist_ok=True)
    _png("Thu muc ngoai\nkhong lay")(outside / "folder" / "inside.png", outside)
    path.symlink_to(outside / "folder", target_is_directory=True)


Q = "quarantined"
# (name in the batch, maker, expected status, reject code for a quarantined one)
CORPUS: list[tuple[str, Maker, str, str]] = [
    # Files are taken in name order: the copy comes first and is the one stored.
    ("good.png", _png("Ho so tot\nda so hoa"), DUPLICATE, ""),
    ("good-copy.png", _copy_of("good.png"), STORED, ""),
    ("UPPER CASE.PNG", _png("Chu hoa\nduoi file"), STORED, ""),
    ("hồ sơ 📄 emoji.png", _png("Ten co emoji\nvan luu"), STORED, ""),
    ("line\nbreak.png", _png("Ten xuong dong\nvan luu"), STORED, ""),
    ("\x1b[31mescape\x1b[0m.png", _png("Ten co ma thoat\nvan luu"), STORED, ""),
    ("tab\tand 'quotes' \"$HOME;\".png", _png("Ky tu la\nvan luu"), STORED, ""),
    ("-starts-with-dash.png", _png("Gach dau\nvan luu"), STORED, ""),
    ("x" * 200 + ".png", _png("Ten rat dai\nvan luu"), STORED, ""),
    ("NFD-hồ-sơ.png".encode().decode(), _png("Unicode NFD\nvan luu"), STORED, ""),
    ("cmyk.jpg", _cmyk, STORED, ""),
    ("gray-16-bit.png", _sixteen_bit, STORED, ""),
    ("fifty-frames.tif", _frames, STORED, ""),
    ("javascript.pdf", _pdf_with(_javascript, "PDF co JavaScript\nkhong chay"), STORED, ""),
    ("xfa-form.pdf", _pdf_with(_xfa, "PDF co XFA\nbieu mau"), STORED, ""),
    ("folder-dossier/page-1.png", _png("Ho so thu muc\ntrang mot"), STORED, ""),
    ("folder-dossier/page-2.png", _png("Ho so thu muc\ntrang hai"), STORED, ""),
    ("empty.pdf", _bytes(b""), Q, "empty"),
    ("empty.png", _bytes(b""), Q, "empty"),
    ("zero-pages.pdf", _no_pages, Q, "corrupt"),
    ("encrypted.pdf", _encrypted, Q, "encrypted"),
    ("truncated.png", lambda p, o: p.write_bytes(_png_bytes()[:200]), Q, "corrupt"),
    ("truncated.pdf", lambda p, o: p.write_bytes(_pdf_bytes(_scan())[:300]), Q, "corrupt"),
    ("garbage.tif", _bytes(b"II*\x00" + b"\x07" * 500), Q, "corrupt"),
    ("garbage.jpg", _bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 300), Q, "corrupt"),
    ("bomb.png", _bytes(_png_claiming(60000, 60000)), Q, "decompression_bomb"),
    ("tiny.png", lambda p, o: Image.new("L", (12, 12), "white").save(p), Q, "too_small"),
    ("program.pdf", _bytes(b"\x7fELF\x02\x01\x01" + b"\x00" * 200), Q, "unsupported_type"),
    ("windows.png", _bytes(b"MZ\x90\x00" + b"\x00" * 200), Q, "unsupported_type"),
    ("page.html.pdf", _bytes(b"<html><script>alert(1)</script></html>"), Q, "unsupported_type"),
    ("notes.txt", _bytes("ghi chú".encode()), Q, "unsupported_type"),
    ("drawing.svg", _bytes(b"<svg xmlns='http://www.w3.org/2000/svg'/>"), Q, "unsupported_type"),
    ("letter.docx", _bytes(b"PK\x03\x04" + b"\x00" * 100), Q, "unsupported_type"),
    ("anim.gif", _bytes(b"GIF89a" + b"\x00" * 100), Q, "unsupported_type"),
    ("link-out.png", _link_to(_outside_scan), Q, "not_a_regular_file"),
    ("passwd.pdf", _link_to(lambda _: Path("/etc/passwd")), Q, "not_a_regular_file"),
    ("dangling.png", _link_to(lambda o: o / "gone.png"), Q, "not_a_regular_file"),
    ("loop.pdf", lambda p, o: p.symlink_to(p), Q, "not_a_regular_file"),
    ("linked-folder", _folder_link, Q, "not_a_regular_file"),
    ("hard-link.png", _hard_link, Q, "not_a_regular_file"),
    ("pipe.pdf", _fifo, Q, "not_a_regular_file"),
    (".hidden-scan.png", _png("An\nkhong lay"), SKIPPED, ""),
    ("~$lock.docx", _bytes(b"lock"), SKIPPED, ""),
    (".DS_Store", _bytes(b"\x00\x00\x00\x01Bud1"), SKIPPED, ""),
    ("REASON.txt", _png("Ten danh rieng\nkhong lay"), SKIPPED, ""),
]


def _png_bytes() -> bytes:
    buffer = io.BytesIO()
    _scan().save(buffer, format="PNG")
    return buffer.getvalue()


def test_every_hostile_file_ends_as_expected_and_is_reported(
    prefect_server: None, sohoa_home: Path
) -> None:
    outside = sohoa_home / "outside"
    outside.mkdir()
    batch = sohoa_home / "inbox" / "hostile"
    batch.mkdir()
    for name, make, _, _ in CORPUS:
        (batch / name).parent.mkdir(exist_ok=True)
        make(batch / name, outside)
    outside_before = {p: sha256_of(p) for p in outside.rglob("*") if p.is_file()}

    report = digitize_batch(str(batch))

    found = {o.file: (o.status.value, (o.reject_code or "")) for o in report.files}
    expected = {name: (status, code) for name, _, status, code in CORPUS}
    assert found == expected
    stored_sets = [o for o in report.files if o.status is FileStatus.STORED]
    assert len(report.records) == len({o.record_id for o in stored_sets})
    assert {p: sha256_of(p) for p in outside.rglob("*") if p.is_file()} == outside_before
    assert len(CORPUS) >= 40
