"""Document types come from the rules file, each with its required fields, and
a record goes to review for its OCR confidence and for the fields its type
requires, not for being of no known type."""

from __future__ import annotations

import os
import time
import unicodedata
from pathlib import Path

import pytest

from sohoa.core.errors import ConfigurationError
from sohoa.models import DocumentType
from sohoa.pipeline.dossier import ReviewCode, review_reasons
from sohoa.pipeline.metadata import (
    DEFAULT_RULES,
    ExtractedMetadata,
    MetadataRules,
    PageText,
    extract_metadata,
    load_rules,
)
from sohoa.pipeline.pages import ProcessedPage

# What an office appends under document_types: to read powers of attorney.
POWER_OF_ATTORNEY = """\
  giay_uy_quyen:
    label: Giấy ủy quyền
    label_en: Power of attorney
    titles: [giấy ủy quyền]
    keywords: [bên ủy quyền, bên được ủy quyền, phạm vi ủy quyền]
    required: [person_name, citizen_id]
"""

POWER_OF_ATTORNEY_TEXT = """CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Độc lập - Tự do - Hạnh phúc
GIẤY ỦY QUYỀN
Bên ủy quyền
Họ và tên: Nguyễn Văn An
Bên được ủy quyền
Họ và tên: Trần Thị Bình
Phạm vi ủy quyền: nộp hồ sơ và nhận kết quả cấp giấy phép xây dựng"""

RECEIPT_TEXT = """KEDAI RUNCIT AH HOCK
NO 12 JALAN MERANTI
INVOICE NO: 10023
MILO 1KG 1 X 16.90
SUGAR 2KG 1 X 5.80
TOTAL 22.70
CASH 50.00
CHANGE 27.30
THANK YOU PLEASE COME AGAIN"""

LETTER_TEXT = """Kính thưa thầy,
Em xin phép nghỉ học ngày mai vì bị ốm.
Em cảm ơn thầy."""

DECISION_WITHOUT_NUMBER = "QUYẾT ĐỊNH\nVề việc khen thưởng\nĐiều 1. Khen thưởng"


def rules_file(tmp_path: Path, old: str, new: str) -> Path:
    """The shipped rules with ``old`` replaced by ``new``, as an office edits them."""
    shipped = DEFAULT_RULES.read_text(encoding="utf-8")
    assert shipped.count(old) == 1, old
    path = tmp_path / "rules.yaml"
    path.write_text(shipped.replace(old, new), encoding="utf-8")
    return path


def extract(rules: MetadataRules, text: str, confidence: float = 95.0) -> ExtractedMetadata:
    return extract_metadata([PageText(1, text, confidence)], rules)


@pytest.fixture(scope="module")
def rules() -> MetadataRules:
    return load_rules()


# --- types declared by the rules file -------------------------------------------


def test_an_office_adds_a_type_with_its_required_fields(tmp_path: Path) -> None:
    office = load_rules(
        rules_file(tmp_path, "document_types:\n", "document_types:\n" + POWER_OF_ATTORNEY)
    )
    declared = office.document_type("giay_uy_quyen")
    assert declared is not None
    assert (declared.label, declared.label_en) == ("Giấy ủy quyền", "Power of attorney")

    found = extract(office, POWER_OF_ATTORNEY_TEXT)
    assert (found.document_type, found.document_type_label) == ("giay_uy_quyen", "Giấy ủy quyền")
    assert found.missing_required == ("citizen_id",)
    assert [v.value for v in found.fields["person_name"]] == ["Nguyễn Văn An", "Trần Thị Bình"]
    with_id = extract(office, POWER_OF_ATTORNEY_TEXT + "\nSố CCCD: 001090012345")
    assert (with_id.document_type, with_id.missing_required) == ("giay_uy_quyen", ())

    # The shipped rules know no such type: the same page is of no known type.
    assert extract(load_rules(), POWER_OF_ATTORNEY_TEXT).document_type == DocumentType.UNKNOWN


def test_rules_are_compiled_once_and_again_after_an_edit(tmp_path: Path) -> None:
    path = rules_file(tmp_path, "document_types:\n", "document_types:\n" + POWER_OF_ATTORNEY)
    first = load_rules(path)
    assert load_rules(path) is first  # every dossier asks; the file is read once

    path.write_text(DEFAULT_RULES.read_text(encoding="utf-8"), encoding="utf-8")
    os.utime(path, ns=(time.time_ns() + 10**9,) * 2)  # an edit within the clock's tick

    assert load_rules(path).document_type("giay_uy_quyen") is None


def test_shipped_rules_declare_every_named_code_with_vietnamese_labels(
    rules: MetadataRules,
) -> None:
    assert [t.code for t in rules.declared_types] == [
        "bien_nhan_ho_so",
        "giay_chung_nhan_dkdn",
        "can_cuoc_cong_dan",
        "quyet_dinh",
        "bao_cao",
        "cong_van",
        "to_khai",
        "don_de_nghi",
        "khong_xac_dinh",
    ]
    assert {t.code for t in rules.declared_types} == {t.value for t in DocumentType}
    assert rules.fallback_type.code == DocumentType.UNKNOWN
    assert rules.fallback_type.required == rules.fallback_type.titles == ()
    for declared in rules.declared_types:
        # Full diacritics: the label does not survive being written in ASCII.
        assert declared.label.encode("ascii", "ignore").decode() != declared.label, declared
        assert unicodedata.is_normalized("NFC", declared.label)
        assert declared.label_en.isascii() and declared.label_en, declared
    assert rules.document_type("quyet_dinh") is not None
    assert rules.document_type("giay_uy_quyen") is None


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("  quyet_dinh:\n", "  Quyet-Dinh:\n", "'Quyet-Dinh' must be lower case"),
        ("    label: Quyết định\n", "", "quyet_dinh needs a label"),
        ("    titles: [quyet dinh]\n", "    title: [quyet dinh]\n", r"unknown keys \['title'\]"),
        (
            "    required: [dossier_code]\n",
            "    required: [dossier_number]\n",
            r"bien_nhan_ho_so requires \['dossier_number'\], which sohoa does not extract",
        ),
        ("  fallback: khong_xac_dinh\n", "  fallback: khac\n", "'khac' is not among"),
        ("    required: [tax_code]\n", "    required: tax_code\n", "must map label, titles"),
        # A file written before types had labels says what to add.
        (
            "version: 2\n",
            "version: 1\n",
            "reads version 2, in which each document type has a label",
        ),
    ],
)
def test_a_badly_declared_type_is_a_configuration_error_that_names_it(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        load_rules(rules_file(tmp_path, old, new))


def test_rules_with_only_the_fallback_type_classify_everything_as_it(tmp_path: Path) -> None:
    shipped = DEFAULT_RULES.read_text(encoding="utf-8")
    start = shipped.index("document_types:\n")
    end = shipped.index("  khong_xac_dinh:\n")
    path = tmp_path / "rules.yaml"
    path.write_text(shipped[:start] + "document_types:\n" + shipped[end:], encoding="utf-8")
    only_fallback = load_rules(path)
    assert only_fallback.document_types == ()
    found = extract(only_fallback, DECISION_WITHOUT_NUMBER)
    assert (found.document_type, found.missing_required) == (DocumentType.UNKNOWN, ())


# --- review ---------------------------------------------------------------------


def page(confidence: float, *, blank: bool = False) -> ProcessedPage:
    """A processed page as review sees it: its blankness and OCR confidence."""
    return ProcessedPage(
        image_path=Path("page.jpg"),
        ocr_json_path=Path("page.json"),
        width=2480,
        height=3508,
        dpi=300,
        rotation_degrees=0,
        skew_degrees=0.0,
        skew_corrected=False,
        blank=blank,
        ocr_confidence=confidence,
        word_count=0 if blank else 40,
        text="",
        qr_payloads=(),
    )


def codes(reasons: tuple[str, ...]) -> list[str]:
    """The machine-readable code of each reason, which must be a ReviewCode."""
    return [ReviewCode(reason.split(": ", 1)[0]) for reason in reasons]


@pytest.mark.parametrize("text", [RECEIPT_TEXT, LETTER_TEXT], ids=["receipt", "letter"])
def test_a_clean_page_of_no_known_type_is_not_flagged(rules: MetadataRules, text: str) -> None:
    found = extract(rules, text)
    assert found.document_type == DocumentType.UNKNOWN
    assert review_reasons([page(95.0)], found, min_confidence=60.0) == ()


def test_low_ocr_confidence_is_flagged_per_page(rules: MetadataRules) -> None:
    found = extract(rules, RECEIPT_TEXT, confidence=41.0)
    reasons = review_reasons([page(95.0), page(41.4), page(12.0, blank=True)], found, 60.0)
    assert reasons == ("low_ocr_confidence: page 2 was read with OCR confidence 41, under 60",)


def test_a_missing_required_field_is_flagged_with_the_type_label(rules: MetadataRules) -> None:
    found = extract(rules, DECISION_WITHOUT_NUMBER)
    reasons = review_reasons([page(95.0)], found, 60.0)
    assert codes(reasons) == [ReviewCode.MISSING_FIELD] * 3
    assert reasons[0] == "missing_field: number_symbol not found, required for Quyết định"
    assert ["issue_date" in reasons[1], "agency" in reasons[2]] == [True, True]


def test_an_office_type_missing_its_required_field_is_flagged(tmp_path: Path) -> None:
    office = load_rules(
        rules_file(tmp_path, "document_types:\n", "document_types:\n" + POWER_OF_ATTORNEY)
    )
    reasons = review_reasons([page(95.0)], extract(office, POWER_OF_ATTORNEY_TEXT), 60.0)
    assert reasons == ("missing_field: citizen_id not found, required for Giấy ủy quyền",)


def test_blank_dossier_and_quarantined_file_are_flagged(rules: MetadataRules) -> None:
    found = extract(rules, "")
    reasons = review_reasons([page(0.0, blank=True)], found, 60.0, rejected_files=["b/scan2.pdf"])
    assert codes(reasons) == [ReviewCode.FILE_QUARANTINED, ReviewCode.ALL_PAGES_BLANK]
    assert "b/scan2.pdf" in reasons[0]
