"""Metadata rules on hand-written Vietnamese snippets, clean and as OCR
garbles them, and precision/recall over generated documents."""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path

import pytest

from sohoa.core.errors import ConfigurationError
from sohoa.models import DocumentType
from sohoa.pipeline.metadata import (
    DEFAULT_RULES,
    ExtractedMetadata,
    MetadataRules,
    PageText,
    extract_metadata,
    load_rules,
)
from sohoa.samples import KINDS, SCORED_FIELDS, ExtractionScores, ocr_noise, render_document


@pytest.fixture(scope="module")
def rules() -> MetadataRules:
    return load_rules()


def extract(
    rules: MetadataRules, *pages: str, confidence: float = 90.0, qr: tuple[str, ...] = ()
) -> ExtractedMetadata:
    return extract_metadata(
        [
            PageText(number, text, confidence, qr if number == 1 else ())
            for number, text in enumerate(pages, start=1)
        ],
        rules,
    )


def values(extracted: ExtractedMetadata, name: str) -> list[str]:
    return [v.value for v in extracted.fields.get(name, ())]


HEADER = """ỦY BAN NHÂN DÂN
TỈNH BẮC NINH
CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Độc lập - Tự do - Hạnh phúc
Số: 1524/QĐ-UBND
Bắc Ninh, ngày 30 tháng 5 năm 2023
QUYẾT ĐỊNH
Về việc cấp giấy phép xây dựng
CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH BẮC NINH
Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;
Căn cứ Nghị định số 01/2021/NĐ-CP ngày 04 tháng 01 năm 2021 của Chính phủ;
QUYẾT ĐỊNH:
Điều 1. Cấp giấy phép cho ông Nguyễn Văn An, sinh ngày 12/03/1990.
Điều 2. Quyết định này có hiệu lực kể từ ngày ký."""

# The same header as Tesseract reads it: columns joined, diacritics lost or
# wrong, "S6" for "Số", O for 0, l for 1, spaces around the slash.
HEADER_OCR = """UY BAN NHAN DAN CỘNG HÒA XÃ HỘI CHỦ NGHIA VIỆT NAM
TỈNH BẮC NINH Độc lập - Tự do - Hạnh phúc__
S6: l524 / QD-UBND Bắc Ninh, ngay 3O tháng 5 nărn 2O23
QUYET ĐỊNH
Về việc cấp giấy phép xây dựng
Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6
năm 2015;
Điều 1. Cấp giấy phép cho ông Nguyễn Văn An."""


# --- number and symbol -------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Số: 1524/BC-SCT", "1524/BC-SCT"),
        ("Số : 1524 / BC-SCT", "1524/BC-SCT"),
        ("S6: 1524/BC - SCT", "1524/BC-SCT"),
        ("So: l524/BC-SCT", "1524/BC-SCT"),
        ("Số: 12/2023/QĐ-UBND", "12/2023/QĐ-UBND"),
        ("Số: 12/2023/QD-UBND", "12/2023/QĐ-UBND"),  # the stroke of Đ lost
        ("Số: 15/QÐ-UBND", "15/QĐ-UBND"),  # eth for Đ
        ("Số: 350/SKHĐT-ĐKKD", "350/SKHĐT-ĐKKD"),
        ("Số: 88/CAT-PCO6", "88/CAT-PC06"),
        ("Số 1524/QĐ-UBND", "1524/QĐ-UBND"),  # colon lost, at the start of a line
    ],
)
def test_number_symbol_clean_and_noisy(rules: MetadataRules, line: str, expected: str) -> None:
    text = f"SỞ CÔNG THƯƠNG\n{line}\nBÁO CÁO\nTình hình thực hiện"
    assert values(extract(rules, text), "number_symbol") == [expected]


def test_references_in_the_body_are_not_the_number(rules: MetadataRules) -> None:
    text = (
        "Căn cứ Quyết định số 15/QĐ-UBND ngày 02/01/2023 của UBND tỉnh;\n"
        "số 01/2021/NĐ-CP ngày 04 tháng 01 năm 2021 của Chính phủ;\n"
        "Số CCCD: 001090012345"
    )
    assert values(extract(rules, text), "number_symbol") == []


def test_number_symbol_beside_the_date_when_ocr_joins_columns(rules: MetadataRules) -> None:
    extracted = extract(rules, HEADER_OCR)
    assert values(extracted, "number_symbol") == ["1524/QĐ-UBND"]
    assert extracted.issue_date == date(2023, 5, 30)


# --- dates ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "Hà Nội, ngày 30 tháng 5 năm 2023",
        "Ha Noi, ngay 30 thang 5 nam 2023",
        "Hà Nội, ngày 3O tháng 5 năm 2O23",
        "Hà Nội, ngày 30 tháng 05 năm 2023",
        "Thành phố Hồ Chí Minh, ngày 30/05/2023",
        "Hà Nội, 30-05-2023",
        "Hà Nội, ngày 30.05.2023",
        "Hà Nội ngày 30 tháng 5 năm 2023",  # comma lost
        "Làm tại: Hà Nội, ngày 30 tháng 5 năm 2023",
    ],
)
def test_issue_date_from_the_place_and_date_line(rules: MetadataRules, line: str) -> None:
    text = f"ĐƠN ĐỀ NGHỊ\nNgày sinh: 12/03/1990\n{line}\nNGƯỜI LÀM ĐƠN"
    extracted = extract(rules, text)
    assert extracted.issue_date == date(2023, 5, 30)
    assert values(extracted, "issue_date") == ["2023-05-30"]
    assert values(extracted, "birth_date") == ["1990-03-12"]


def test_cited_laws_and_birth_dates_are_not_the_issue_date(rules: MetadataRules) -> None:
    text = (
        "Căn cứ Luật Xây dựng ngày 18 tháng 6 năm 2014;\n"
        "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6\n"
        "năm 2015;\n"
        "Công nhận bà Vũ Kim Yến, sinh ngày 11/04/1996;\n"
        "Họ và tên / Full name: LÊ VĂN HÙNG\n"
        "Ngày sinh / Date of birth: 02/11/2003\n"
        "Có giá trị đến: 02/11/2028"
    )
    extracted = extract(rules, text)
    assert extracted.issue_date is None
    assert sorted(values(extracted, "birth_date")) == ["1996-04-11", "2003-11-02"]


def test_issue_date_of_a_certificate_is_its_latest_registration(rules: MetadataRules) -> None:
    text = (
        "GIẤY CHỨNG NHẬN ĐĂNG KÝ DOANH NGHIỆP\n"
        "Mã số doanh nghiệp: 0101234567\n"
        "Đăng ký lần đầu: ngày 12 tháng 3 năm 2015\n"
        "Đăng ký thay đổi lần thứ: 2, ngày 30 tháng 5 năm 2023\n"
        "Ngày cấp: 15/08/2021 Nơi cấp: Cục Cảnh sát QLHC về TTXH"
    )
    assert extract(rules, text).issue_date == date(2023, 5, 30)


def test_received_date_stands_in_when_no_place_line(rules: MetadataRules) -> None:
    text = "BIÊN NHẬN HỒ SƠ\nNgày nhận hồ sơ: 30-05-2023\nNgày hẹn trả: 06/06/2023"
    assert extract(rules, text).issue_date == date(2023, 5, 30)


# --- identity numbers, tax codes, phones ------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "Số CCCD: 001090012345",
        "S6 CCCD: OO1O9OO12345",
        "Số căn cước công dân: 001 090 012 345",
        "Căn cuoc cong dan so 001090012345, cấp ngày 15/08/2021",
        "Số định danh cá nhân: 001090012345",
        "Số / No.: 001090012345",
        "Số giấy tờ pháp lý của cá nhân:\n001090012345",
        "ông Nguyễn Văn An, thường trú tại Hà Nội, 001090012345",  # no label, valid shape
    ],
)
def test_citizen_id(rules: MetadataRules, line: str) -> None:
    assert values(extract(rules, line), "citizen_id") == ["001090012345"]


def test_unlabeled_twelve_digits_need_a_citizen_id_shape(rules: MetadataRules) -> None:
    text = "Tài khoản 999090012345 tại ngân hàng; mã 001790012345."
    assert values(extract(rules, text), "citizen_id") == []


def test_old_nine_digit_id(rules: MetadataRules) -> None:
    extracted = extract(rules, "Số CMND: 012345678 cấp ngày 01/02/2005\nSố CMND/CCCD: 001090012345")
    assert values(extracted, "old_id") == ["012345678"]
    assert values(extracted, "citizen_id") == ["001090012345"]


def test_number_under_the_card_title_a_paragraph_apart(rules: MetadataRules) -> None:
    # An ID card read with the title and the red number as two paragraphs.
    text = "GIẤY CHỨNG MINH NHÂN DÂN\n\nSố 238709881\n\nHọ tên: NGUYỄN XUÂN CƯỜNG"
    assert values(extract(rules, text), "old_id") == ["238709881"]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Mã số doanh nghiệp: 0101234567", "0101234567"),
        ("Ma so thue: O1O1234567", "0101234567"),
        ("Mã số chi nhánh: 0101234567-001", "0101234567-001"),
        ("MST 0101234567 - 001", "0101234567-001"),
        ("chi nhánh 0101234567-001 tại Hà Nội", "0101234567-001"),  # no label, branch shape
    ],
)
def test_tax_code(rules: MetadataRules, line: str, expected: str) -> None:
    assert values(extract(rules, line), "tax_code") == [expected]


def test_tax_code_is_not_taken_for_a_phone_and_back(rules: MetadataRules) -> None:
    extracted = extract(rules, "Mã số thuế: 0312345678\nĐiện thoại: 0912345678")
    assert values(extracted, "tax_code") == ["0312345678"]
    assert values(extracted, "phone") == ["0912345678"]


@pytest.mark.parametrize(
    "line",
    [
        "Số điện thoại: 0912345678",
        "Số điện thoại: 0912 345 678",
        "ĐT: 0912.345.678",
        "Di động: +84 912 345 678",
        "SDT: O912345678",
        "liên hệ 0912345678 trong giờ hành chính",
    ],
)
def test_mobile_phone(rules: MetadataRules, line: str) -> None:
    assert values(extract(rules, line), "phone") == ["0912345678"]


def test_landline_is_not_a_mobile_phone(rules: MetadataRules) -> None:
    assert values(extract(rules, "Điện thoại: 02438251234"), "phone") == []


# --- names -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Họ và tên: NGUYỄN VĂN AN", "NGUYỄN VĂN AN"),
        ("Ho va ten: NGUYEN VAN AN", "NGUYEN VAN AN"),
        ("Họ, chữ đệm và tên: Trần Thị Bích Ngọc", "Trần Thị Bích Ngọc"),
        ("Họ, chữ đệrn, tên người mẹ: TRẦN THỊ HOA", "TRẦN THỊ HOA"),
        ("Họ và tên / Full name:\nLÊ VĂN HÙNG", "LÊ VĂN HÙNG"),
        ("Người đại diện theo pháp luật: Ông Phạm Minh Đức", "Phạm Minh Đức"),
        ("* Họ và tên: HUỲNH MINH PHONG Giới tính: Nam", "HUỲNH MINH PHONG"),
        ("* Họ và tên HUỲNH MINH PHONG Giới tính: Nam", "HUỲNH MINH PHONG"),
        ("Ông/Bà: Hoàng Thanh Thảo", "Hoàng Thanh Thảo"),
        ("Full name: ĐẶNG CÔNG NGỌC DŨNG  Date of birth: 02/11/2003", "ĐẶNG CÔNG NGỌC DŨNG"),
        # What Tesseract made of real generated pages: QR specks after the
        # name, a speck or a blank line between label and name.
        ("Ông/Bà: Nguyễn Ngọc Hà ORS i", "Nguyễn Ngọc Hà"),
        ("Họ và tên / Full name i\nHUYNH THANH TUAN\nNgay sinh", "HUYNH THANH TUAN"),
        ("Họ và tên / Full name:\n\nLÊ VĂN TOÀN", "LÊ VĂN TOÀN"),
    ],
)
def test_person_name(rules: MetadataRules, text: str, expected: str) -> None:
    assert values(extract(rules, text), "person_name") == [expected]


def test_signature_hint_is_not_a_name_label(rules: MetadataRules) -> None:
    text = "NGƯỜI LÀM ĐƠN\n(Ký và ghi rõ họ tên)\nNguyễn Văn An\nNgười đại diện theo pháp luật"
    assert values(extract(rules, text), "person_name") == []


# --- dossier code ---------------------------------------------------------------

RECEIPT = """UBND HUYỆN GIA LÂM
BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ
Gia Lâm, ngày 30 tháng 5 năm 2023
GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ
{code_line}
Ngày hẹn trả: 06/06/2023"""


@pytest.mark.parametrize(
    "code_line",
    [
        "Mã hồ sơ: 000.00.12.H26-230530-0001",
        "Ma ho so: 000.00.12.H26 - 23O53O-0001",
        "Mã hồ sơ 000.00.12.H26-230530-000l",
        "000.00.12.H26-230530-0001",  # no label: the portal's format is unmistakable
    ],
)
def test_dossier_code_from_text(rules: MetadataRules, code_line: str) -> None:
    extracted = extract(rules, RECEIPT.format(code_line=code_line))
    assert values(extracted, "dossier_code") == ["000.00.12.H26-230530-0001"]


def test_dossier_code_from_qr_wins_with_full_confidence(rules: MetadataRules) -> None:
    misread = RECEIPT.format(code_line="Mã hồ sơ: 000.00.12.H28-230530-0007")
    extracted = extract(rules, misread, confidence=70.0, qr=("000.00.12.H26-230530-0001",))
    (code,) = extracted.fields["dossier_code"]
    assert (code.value, code.confidence, code.page) == ("000.00.12.H26-230530-0001", 1.0, 1)


def test_qr_urls_are_not_dossier_codes(rules: MetadataRules) -> None:
    text = RECEIPT.format(code_line="Mã hồ sơ: 000.00.12.H26-230530-0001")
    extracted = extract(rules, text, qr=("https://dichvucong.gov.vn/tra-cuu?id=5",))
    assert values(extracted, "dossier_code") == ["000.00.12.H26-230530-0001"]


def test_citizen_id_card_qr(rules: MetadataRules) -> None:
    payload = "001090012345|012345678|Nguyễn Văn An|12031990|Nam|Hà Nội|15082021"
    extracted = extract(rules, "CĂN CƯỚC CÔNG DÂN", qr=(payload,))
    assert values(extracted, "citizen_id") == ["001090012345"]
    assert values(extracted, "old_id") == ["012345678"]
    assert values(extracted, "person_name") == ["Nguyễn Văn An"]
    assert values(extracted, "birth_date") == ["1990-03-12"]


# --- agency ------------------------------------------------------------------------


def test_agency_from_the_block_above_the_number(rules: MetadataRules) -> None:
    assert values(extract(rules, HEADER), "agency") == ["ỦY BAN NHÂN DÂN TỈNH BẮC NINH"]
    noisy = values(extract(rules, HEADER_OCR), "agency")
    assert noisy == ["UY BAN NHAN DAN TỈNH BẮC NINH"]


def test_agency_without_ocr_specks_or_a_damaged_motto(rules: MetadataRules) -> None:
    text = (
        "UBND QUAN NINH KIEU CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
        "BE EET Độc lập - Tự do - Hạnh phúc\n\n"
        "Số: 112/BC-UBND Ninh Kiều, ngày 31 tháng 12 năm 2019"
    )
    assert values(extract(rules, text), "agency") == ["UBND QUAN NINH KIEU"]
    text = (
        "SỞ TÀI NGUYEN VA MOI TRUONG CÔNG HÒA XÃ HÔI CHỦ NGHĨA VIET NAM\n"
        "BỘ PHAN TIẾP NHẬN VÀ TRA KẾT QUA” Độc lập Tư do - Hanh phúc\n"
        "Khánh Hòa, ngày 29 tháng 11 năm 2023\nBIÊN NHẬN HỒ SƠ"
    )
    agency = values(extract(rules, text), "agency")
    assert agency == ["SỞ TÀI NGUYEN VA MOI TRUONG BỘ PHAN TIẾP NHẬN VÀ TRA KẾT QUA"]


def test_agency_above_the_title_without_a_number(rules: MetadataRules) -> None:
    text = RECEIPT.format(code_line="Mã hồ sơ: 000.00.12.H26-230530-0001")
    agency = values(extract(rules, text), "agency")
    assert agency == ["UBND HUYỆN GIA LÂM BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ"]


def test_no_agency_on_a_citizen_application(rules: MetadataRules) -> None:
    text = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\nĐƠN ĐỀ NGHỊ\nKính gửi:"
    assert values(extract(rules, text), "agency") == []


# --- document type and required fields ----------------------------------------

TYPE_SNIPPETS = {
    DocumentType.APPLICATION: "ĐƠN ĐỀ NGHỊ CẤP GIẤY PHÉP XÂY DỰNG\nKính gửi: UBND huyện",
    DocumentType.DECLARATION: "TỜ KHAI ĐĂNG KÝ KHAI SINH\nHọ, chữ đệm, tên người yêu cầu:",
    DocumentType.BUSINESS_REGISTRATION: (
        "GIẤY CHỨNG NHẬN ĐĂNG KÝ DOANH NGHIỆP\nMã số doanh nghiệp: 0101234567"
    ),
    DocumentType.CITIZEN_ID_CARD: "CĂN CƯỚC CÔNG DÂN\nCitizen Identity Card\nFull name:",
    DocumentType.DECISION: HEADER,
    DocumentType.OFFICIAL_LETTER: (
        "Số: 12/UBND-VP\nV/v đôn đốc số hóa hồ sơ\nKính gửi: Các phòng, ban\nNơi nhận:"
    ),
    DocumentType.REPORT: "Số: 45/BC-SCT\nBÁO CÁO\nKết quả thực hiện 6 tháng đầu năm",
    DocumentType.RECEIPT: RECEIPT.format(code_line="Mã hồ sơ: 000.00.12.H26-230530-0001"),
}


@pytest.mark.parametrize("document_type", list(TYPE_SNIPPETS))
def test_document_type_clean_and_without_diacritics(
    rules: MetadataRules, document_type: DocumentType
) -> None:
    from sohoa.core.text import fold

    text = TYPE_SNIPPETS[document_type]
    for variant in (text, fold(text).upper()):
        extracted = extract(rules, variant)
        assert extracted.document_type == document_type, variant
        assert 0.0 < extracted.document_type_confidence <= 0.9


def test_title_outweighs_a_mention_in_the_body(rules: MetadataRules) -> None:
    text = (
        "BIÊN NHẬN HỒ SƠ\nMã hồ sơ: 000.00.12.H26-230530-0001\n"
        "1. Thành phần hồ sơ nộp gồm:\n- Đơn đề nghị cấp giấy phép xây dựng: 01 bản\n"
        "- Tờ khai đăng ký khai sinh: 01 bản"
    )
    assert extract(rules, text).document_type == DocumentType.RECEIPT


def test_unknown_text_and_empty_pages(rules: MetadataRules) -> None:
    unknown = extract(rules, "Danh sách hồ sơ cần scan lại\nghi chú")
    assert unknown.document_type == DocumentType.UNKNOWN
    assert unknown.missing_required == ()
    empty = extract(rules, "", "")
    assert (empty.document_type, empty.fields, empty.issue_date) == (DocumentType.UNKNOWN, {}, None)


def test_missing_required_fields(rules: MetadataRules) -> None:
    receipt = extract(rules, "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ\nNgày hẹn trả: 06/06/2023")
    assert receipt.document_type == DocumentType.RECEIPT
    assert receipt.missing_required == ("dossier_code",)
    decision = extract(rules, "QUYẾT ĐỊNH\nVề việc khen thưởng\nĐiều 1. Khen thưởng")
    assert decision.missing_required == ("number_symbol", "issue_date", "agency")
    assert extract(rules, HEADER).missing_required == ()


# --- confidence and pages --------------------------------------------------------


def test_confidence_follows_rule_strength_and_page_ocr(rules: MetadataRules) -> None:
    text = "Số: 1524/QĐ-UBND\nSố CCCD: 001090012345\nliên hệ 001090012346"
    extracted = extract(rules, "QUYẾT ĐỊNH", text, confidence=80.0)
    ids = {v.value: v for v in extracted.fields["citizen_id"]}
    assert ids["001090012345"].confidence == pytest.approx(0.8)
    assert ids["001090012346"].confidence == pytest.approx(0.48)  # no label: 0.6 x 0.8
    assert extracted.fields["citizen_id"][0].value == "001090012345"  # surest first
    assert ids["001090012345"].page == 2
    assert ids["001090012345"].source_text == "Số CCCD: 001090012345"


# --- rules file -------------------------------------------------------------------


def test_an_office_can_add_a_label(tmp_path: Path) -> None:
    text = "BIÊN NHẬN HỒ SƠ\nSố biên nhận: 000.00.12.H26-230530-0001x"
    custom = DEFAULT_RULES.read_text(encoding="utf-8").replace(
        "labels: [ma ho so,", "labels: [so bien nhan, ma ho so,"
    )
    assert custom != DEFAULT_RULES.read_text(encoding="utf-8")
    path = tmp_path / "rules.yaml"
    path.write_text(custom, encoding="utf-8")
    assert values(extract(load_rules(), text), "dossier_code") == []
    found = values(extract(load_rules(path), text), "dossier_code")
    assert found == ["000.00.12.H26-230530-0001X"]


@pytest.mark.parametrize("content", ["version: [", "version: 1\n", "document_types: {bogus: {}}\n"])
def test_invalid_rules_file_is_a_configuration_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigurationError, match="rules"):
        load_rules(path)
    with pytest.raises(ConfigurationError, match="Cannot read"):
        load_rules(tmp_path / "absent.yaml")


# --- accuracy over generated documents -----------------------------------------


@pytest.fixture(scope="module")
def generated() -> list:
    """Seven documents of each kind, their text exactly as drawn."""
    rng = random.Random(20240530)
    return [render_document(KINDS[i % len(KINDS)], rng).truth for i in range(7 * len(KINDS))]


@pytest.mark.parametrize("noise_rate", [0.0, 1.0, 2.0])
def test_precision_and_recall_on_generated_documents(
    rules: MetadataRules, generated: list, noise_rate: float
) -> None:
    rng = random.Random(7)
    scores = ExtractionScores()
    for index, truth in enumerate(generated):
        texts = [ocr_noise(text, rng, noise_rate) for text in truth.pages]
        # Half the receipts come with their QR code decoded, half without.
        qr = (truth.metadata["qr_payload"],) if truth.metadata["qr_payload"] and index % 2 else ()
        pages = [
            PageText(n, text, 88.0, qr if n == 1 else ()) for n, text in enumerate(texts, start=1)
        ]
        extracted = extract_metadata(pages, rules)
        scores.add(str(index), truth, extracted.document_type, extracted.fields)
    print(f"\nnoise rate {noise_rate}\n{scores.table()}")
    for name in SCORED_FIELDS:
        field = scores.fields[name]
        assert field.true_positives >= 7, name  # every kind that has the field counted
        assert field.precision >= 0.95 and field.recall >= 0.95, (name, scores.misses)
    assert scores.types_right / scores.documents >= 0.95, scores.misses
    if noise_rate == 0.0:
        assert all(f.precision == f.recall == 1.0 for f in scores.fields.values()), scores.misses
