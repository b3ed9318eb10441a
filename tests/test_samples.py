"""The sample generator: what it draws, what it says it drew, and the
batches it writes."""

from __future__ import annotations

import csv
import hashlib
import json
import random
from datetime import date
from pathlib import Path

import cv2
import numpy as np
import pikepdf
import pytest
from PIL import Image

from sohoa.core.text import fold
from sohoa.models import DocumentType
from sohoa.samples import (
    A4,
    CARD,
    KINDS,
    ExtractionScores,
    GroundTruth,
    date_words,
    distort,
    generate_demo_inbox,
    ocr_noise,
    render_document,
    skew,
    write_batch,
)

# A truth field and the label it is printed after on the page, per kind.
PRINTED = {
    "number_symbol": "Số: {}",
    "dossier_code": "Mã hồ sơ: {}",
}


@pytest.fixture(scope="module")
def documents() -> dict[str, list]:
    rng = random.Random(99)
    return {kind: [render_document(kind, rng) for _ in range(3)] for kind in KINDS}


@pytest.mark.parametrize("kind", KINDS)
def test_pages_and_truth_agree(documents: dict[str, list], kind: str) -> None:
    for doc in documents[kind]:
        assert doc.kind == kind == doc.truth.kind
        assert len(doc.pages) == len(doc.truth.pages) >= 1
        size = CARD if kind == "citizen_id_card" else A4
        for image, text in zip(doc.pages, doc.truth.pages, strict=True):
            assert image.size == size and image.mode == "L"
            assert image.info["dpi"] == (300, 300)
            ink = (np.asarray(image) < 128).mean()
            assert 0.0005 < ink < 0.2  # text was drawn, the page is not black
            assert text.strip()
        assert (np.asarray(doc.pages[0]) < 128).mean() > 0.005
        meta = doc.truth.metadata
        assert DocumentType(meta["document_type"]).name != "UNKNOWN"
        whole = "\n".join(doc.truth.pages)
        for key, template in PRINTED.items():
            if meta[key]:
                assert template.format(meta[key]) in whole
        for key in ("citizen_ids", "tax_codes", "phones", "old_ids", "names"):
            for value in meta[key]:
                assert value in whole, (key, value)
        if meta["issue_date"]:
            assert date_words(date.fromisoformat(meta["issue_date"])) in whole


def test_text_has_full_vietnamese_diacritics(documents: dict[str, list]) -> None:
    whole = "\n".join(t for docs in documents.values() for d in docs for t in d.truth.pages)
    for letters in ("ỦY BAN NHÂN DÂN", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập", "ngày"):
        assert letters in whole
    accented = sum(1 for c in whole if fold(c) != c.lower())
    assert accented > 0.1 * sum(c.isalpha() for c in whole)


def test_identity_numbers_have_their_real_structure(documents: dict[str, list]) -> None:
    for docs in documents.values():
        for doc in docs:
            for citizen_id in doc.truth.metadata["citizen_ids"]:
                assert len(citizen_id) == 12 and citizen_id.isdigit()
                assert citizen_id[3] in "0123"
            for tax_code in doc.truth.metadata["tax_codes"]:
                digits = tax_code.split("-")[0]
                weights = (31, 29, 23, 19, 17, 13, 7, 5, 3)
                check = 10 - sum(int(d) * w for d, w in zip(digits, weights, strict=False)) % 11
                assert str(check) == digits[9]
            for phone in doc.truth.metadata["phones"]:
                assert len(phone) == 10 and phone[:2] in ("03", "05", "07", "08", "09")


def test_receipt_qr_code_holds_the_printed_dossier_code(documents: dict[str, list]) -> None:
    detector = cv2.QRCodeDetector()
    for doc in documents["receipt"]:
        upper_part = np.asarray(doc.pages[0])[: A4[1] // 3]
        payload, _, _ = detector.detectAndDecode(upper_part)
        assert payload == doc.truth.metadata["dossier_code"] == doc.truth.metadata["qr_payload"]


def test_the_same_seed_draws_the_same_document() -> None:
    first = render_document("decision", random.Random(5))
    again = render_document("decision", random.Random(5))
    other = render_document("decision", random.Random(6))
    assert first.truth == again.truth
    assert first.pages[0].tobytes() == again.pages[0].tobytes()
    assert first.truth.pages != other.truth.pages


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown sample kind"):
        render_document("passport", random.Random(1))


@pytest.mark.ocr
def test_card_text_is_legible_to_tesseract(documents: dict[str, list], tmp_path: Path) -> None:
    from sohoa.pipeline.pages import PageOptions, process_page

    doc = documents["citizen_id_card"][0]
    doc.pages[0].save(tmp_path / "card.png", dpi=(300, 300))
    page = process_page(tmp_path / "card.png", tmp_path / "out", PageOptions())
    assert doc.truth.metadata["citizen_ids"][0] in page.text
    assert "CĂN CƯỚC" in page.text or "CAN CUOC" in fold(page.text).upper()


# --- distortions -----------------------------------------------------------------


def _marked_page() -> Image.Image:
    """White page with a black square near the top-left corner."""
    image = Image.new("L", (400, 600), 255)
    image.paste(0, (20, 20, 80, 80))
    return image


@pytest.mark.parametrize(
    ("rotate", "corner"), [(90, "top_right"), (180, "bottom_right"), (270, "bottom_left")]
)
def test_rotation_is_clockwise(rotate: int, corner: str) -> None:
    turned = distort(_marked_page(), random.Random(1), rotate=rotate)
    pixels = np.asarray(turned)
    assert turned.size == ((600, 400) if rotate != 180 else (400, 600))
    h, w = pixels.shape
    regions = {
        "top_right": pixels[:100, w - 100 :],
        "bottom_right": pixels[h - 100 :, w - 100 :],
        "bottom_left": pixels[h - 100 :, :100],
    }
    assert regions[corner].min() == 0
    assert pixels[:100, :100].min() == 255
    assert turned.info["distortions"]["rotate"] == rotate


def test_skew_keeps_a_white_background_and_records_itself() -> None:
    skewed = distort(_marked_page(), random.Random(1), skew_degrees=4.0)
    pixels = np.asarray(skewed)
    assert skewed.size[0] > 400 and skewed.size[1] > 600
    assert pixels[0, 0] == pixels[-1, -1] == pixels[0, -1] == pixels[-1, 0] == 255
    assert skewed.info["distortions"]["skew_degrees"] == 4.0
    # Clockwise: a horizontal rule now slopes down to the right.
    ruled = Image.new("L", (400, 600), 255)
    ruled.paste(0, (50, 300, 350, 306))
    ys, xs = np.nonzero(np.asarray(distort(ruled, random.Random(1), skew_degrees=4.0)) < 128)
    left, right = ys[xs < xs.min() + 50].mean(), ys[xs > xs.max() - 50].mean()
    assert right - left == pytest.approx(250 * np.tan(np.radians(4.0)), abs=3)


def test_skew_of_a_pixel_array_turns_counter_clockwise_as_distort_turns_clockwise() -> None:
    ruled = np.full((600, 400), 255, dtype=np.uint8)
    ruled[300:306, 50:350] = 0
    turned = skew(ruled, 4.0)
    assert turned.shape[0] > 600 and turned.shape[1] > 400
    assert turned[0, 0] == turned[-1, -1] == turned[0, -1] == turned[-1, 0] == 255
    ys, xs = np.nonzero(turned < 128)
    left, right = ys[xs < xs.min() + 50].mean(), ys[xs > xs.max() - 50].mean()
    assert left - right == pytest.approx(250 * np.tan(np.radians(4.0)), abs=3)
    clockwise = np.asarray(distort(Image.fromarray(ruled), random.Random(1), skew_degrees=-4.0))
    assert np.array_equal(turned, clockwise)


def test_noise_blur_and_jpeg() -> None:
    page = _marked_page()
    noisy = distort(page, random.Random(1), noise=10.0, blur=1.0, jpeg_quality=60)
    assert noisy.size == page.size
    difference = np.abs(np.asarray(noisy, dtype=int) - np.asarray(page, dtype=int))
    assert 2.0 < difference.mean() < 30.0
    assert noisy.info["distortions"] == {
        "skew_degrees": 0.0,
        "rotate": 0,
        "noise": 10.0,
        "blur": 1.0,
        "jpeg_quality": 60,
    }
    assert np.asarray(distort(page, random.Random(1))).tobytes() == page.tobytes()
    with pytest.raises(ValueError, match="rotate"):
        distort(page, random.Random(1), rotate=45)


# --- OCR-like noise ---------------------------------------------------------------


def test_ocr_noise_garbles_like_ocr_and_is_seeded() -> None:
    text = "Số: 1524/QĐ-UBND\nHà Nội, ngày 30 tháng 5 năm 2023\nSố CCCD: 001090012345\n" * 20
    noisy = ocr_noise(text, random.Random(3), rate=2.0)
    assert noisy == ocr_noise(text, random.Random(3), rate=2.0)
    assert noisy != text
    assert ocr_noise(text, random.Random(3), rate=0.0) == text
    assert "S6" in noisy or "Sô" in noisy or "So" in noisy
    assert any(c in noisy for c in "OlI")  # digits read as letters
    assert " / " in noisy or "/ " in noisy
    assert fold(noisy).count("ngay") == fold(text).count("ngay")  # no word vanishes


# --- batches ------------------------------------------------------------------------


def test_write_batch(tmp_path: Path) -> None:
    batch = tmp_path / "inbox" / "batch-7"
    truth = write_batch(batch, count=8, seed=3, manifest=True)
    files = sorted(p.name for p in batch.iterdir())
    assert "READY" in files and "manifest.csv" in files
    scans = [name for name in files if name not in ("READY", "manifest.csv")]
    assert len(scans) == 8 and set(truth.documents) == set(scans)
    assert {Path(n).suffix for n in scans} == {".pdf", ".tif", ".jpg", ".png"}
    assert {t.kind for t in truth.documents.values()} == set(KINDS)

    assert truth.truth_path == tmp_path / "inbox" / "batch-7.truth.json"
    stored = json.loads(truth.truth_path.read_text(encoding="utf-8"))
    assert {n: GroundTruth.from_json(t) for n, t in stored.items()} == truth.documents

    for name, doc_truth in truth.documents.items():
        path = batch / name
        if path.suffix == ".pdf":
            with pikepdf.open(path) as pdf:
                assert len(pdf.pages) == len(doc_truth.pages)
                width_pt = float(pdf.pages[0].mediabox[2])
            assert width_pt == pytest.approx(
                (CARD if doc_truth.kind == "citizen_id_card" else A4)[0] * 72 / 300, rel=0.01
            )
        else:
            with Image.open(path) as image:
                assert getattr(image, "n_frames", 1) == len(doc_truth.pages)
                assert round(image.info["dpi"][0]) == 300

    with (batch / "manifest.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["file", "dossier_code", "procedure", "unit", "operator"]
    assert sorted(r["file"] for r in rows) == scans
    assert len({r["dossier_code"] for r in rows}) == 8
    for row in rows:
        assert row["procedure"] and row["unit"] and row["operator"]
        receipt_code = truth.documents[row["file"]].metadata["dossier_code"]
        assert row["dossier_code"] == (receipt_code or row["dossier_code"])


def test_write_batch_is_reproducible_and_respects_formats(tmp_path: Path) -> None:
    one = write_batch(tmp_path / "a", count=4, seed=8, formats=("png",), ready=False)
    two = write_batch(tmp_path / "b", count=4, seed=8, formats=("png",), ready=False)
    assert not (tmp_path / "a" / "READY").exists()
    assert one.documents == two.documents
    for name in one.documents:
        assert name.endswith(".png") and len(one.documents[name].pages) == 1
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert not (tmp_path / "a" / "manifest.csv").exists()
    with pytest.raises(ValueError, match="formats"):
        write_batch(tmp_path / "c", count=1, seed=1, formats=("gif",))


def test_write_batch_with_distortions_records_them(tmp_path: Path) -> None:
    truth = write_batch(tmp_path / "d", count=2, seed=4, formats=("jpeg", "png"), distortions=True)
    applied = [d for t in truth.documents.values() for d in t.distortions]
    assert applied and all(d["noise"] > 0 for d in applied)
    jpeg_docs = [t for t in truth.documents.values() if t.file_format == "jpeg"]
    assert jpeg_docs and all(t.distortions[0]["jpeg_quality"] for t in jpeg_docs)


@pytest.fixture(scope="module")
def demo_inbox(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The demo inbox, written once for the tests that only read it, and its batch."""
    inbox = tmp_path_factory.mktemp("demo") / "inbox"
    return inbox, generate_demo_inbox(inbox)


def test_demo_inbox(demo_inbox: tuple[Path, Path]) -> None:
    inbox, batch = demo_inbox
    assert batch == inbox / "demo-batch-001"
    assert (batch / "READY").exists() and (batch / "manifest.csv").exists()
    truth = json.loads((inbox / "demo-batch-001.truth.json").read_text("utf-8"))
    assert len(truth) == 6
    assert {t["file_format"] for t in truth.values()} == {"pdf", "tiff", "jpeg", "png"}
    assert {"receipt", "decision", "application", "citizen_id_card"} <= {
        t["kind"] for t in truth.values()
    }
    applied = [d for t in truth.values() for d in t["distortions"]]
    assert any(d.get("skew_degrees") == 4.0 for d in applied)
    assert any(d.get("rotate") == 90 for d in applied)
    assert any(t["metadata"]["names"] for t in truth.values())  # the demo searches a name


def test_scores_count_wrong_extra_values() -> None:
    from sohoa.models import FieldValue

    truth = render_document("receipt", random.Random(2)).truth
    scores = ExtractionScores()
    code = truth.metadata["dossier_code"]
    found = {
        "dossier_code": [FieldValue(value=code, page=1, confidence=1.0)],
        "citizen_id": [FieldValue(value="001001001001", page=1, confidence=0.5)],
    }
    scores.add("r", truth, "bien_nhan_ho_so", found)
    assert scores.fields["dossier_code"].precision == scores.fields["dossier_code"].recall == 1.0
    assert scores.fields["citizen_id"].precision == 0.0
    assert scores.fields["citizen_id"].recall == 0.0
    assert scores.types_right == 1
    assert "citizen_id" in scores.table() and "over 1 documents" in scores.table()


def test_the_demo_inbox_is_the_same_bytes_on_every_run(
    demo_inbox: tuple[Path, Path], tmp_path: Path
) -> None:
    """So that a second `make demo` finds every dossier already digitized."""

    def digests(batch: Path) -> dict[str, str]:
        return {
            p.relative_to(batch).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in batch.rglob("*")
            if p.is_file()
        }

    first, second = digests(demo_inbox[1]), digests(generate_demo_inbox(tmp_path / "two"))
    assert any(name.endswith(".pdf") for name in first)
    assert first == second
