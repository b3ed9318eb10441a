"""Papers that certify: a business registration certificate and the front of a
chip-based citizen ID card."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sohoa.models import DocumentType
from sohoa.samples.drawing import (
    BODY,
    BOLD,
    CARD,
    HEADER,
    HEADER_BOLD,
    ITALIC,
    TITLE,
    Sheets,
    Style,
    pt,
)
from sohoa.samples.people import (
    MOTTO,
    MOTTO_EN,
    POLICE_ID_AUTHORITY,
    Context,
    Person,
    date_digits,
    date_words,
    random_address,
    random_date,
    random_digits,
    random_name,
    random_tax_code,
)
from sohoa.samples.truth import document_metadata

_COMPANY_WORDS = (
    "THƯƠNG MẠI", "DỊCH VỤ", "XÂY DỰNG", "CÔNG NGHỆ", "VẬN TẢI", "DU LỊCH", "SẢN XUẤT",
)  # fmt: skip
_COMPANY_NAMES = (
    "MINH AN",
    "HOÀNG PHÁT",
    "THÀNH ĐẠT",
    "AN KHANG",
    "PHÚC LỘC",
    "ĐẠI VIỆT",
    "SAO MAI",
)


def render_business_registration(ctx: Context) -> tuple[Sheets, dict[str, Any]]:
    """An enterprise (or branch) registration certificate with its tax code."""
    rng, person, province = ctx.rng, ctx.person, ctx.province
    branch = rng.random() < 0.25
    parent_code = random_tax_code(rng, province)
    code = f"{parent_code}-{rng.randint(1, 30):03d}" if branch else parent_code
    trade = " ".join(rng.sample(_COMPANY_WORDS, 2))
    company = f"CÔNG TY TNHH {trade} {rng.choice(_COMPANY_NAMES)}"
    header = ("SỞ KẾ HOẠCH VÀ ĐẦU TƯ", province.title.upper(), "PHÒNG ĐĂNG KÝ KINH DOANH")
    sheets = Sheets()
    left = [(header[0], HEADER), (header[1], HEADER), (header[2], HEADER_BOLD)]
    sheets.columns(left, [(MOTTO[0], HEADER_BOLD), (MOTTO[1], HEADER_BOLD)])
    sheets.space(pt(16))
    first = random_date(rng, date(2008, 1, 1), ctx.issued - timedelta(days=30))
    changes = rng.choice((0, 0, 1, 2, 3))
    if branch:
        sheets.line("GIẤY CHỨNG NHẬN ĐĂNG KÝ HOẠT ĐỘNG CHI NHÁNH", TITLE, align="center")
        sheets.space(pt(8))
        sheets.line(f"Mã số chi nhánh: {code}", BOLD, align="center")
    else:
        sheets.line("GIẤY CHỨNG NHẬN ĐĂNG KÝ DOANH NGHIỆP", TITLE, align="center")
        sheets.line("CÔNG TY TRÁCH NHIỆM HỮU HẠN HAI THÀNH VIÊN TRỞ LÊN", BOLD, align="center")
        sheets.space(pt(8))
        sheets.line(f"Mã số doanh nghiệp: {code}", BOLD, align="center")
    sheets.line(f"Đăng ký lần đầu: {date_words(first)}", ITALIC, align="center")
    issued = first
    if changes:
        issued = ctx.issued
        sheets.line(
            f"Đăng ký thay đổi lần thứ: {changes}, {date_words(issued)}", ITALIC, align="center"
        )
    sheets.space(pt(12))
    phone = person.phone if rng.random() < 0.5 else ""
    contact = (
        f"Điện thoại: {phone}"
        if phone
        else f"Điện thoại: 0{rng.randint(20, 29)}{random_digits(rng, 8)}"
    )
    rows = [
        ("1. Tên " + ("chi nhánh" if branch else "công ty"), BOLD),
        (f"Tên viết bằng tiếng Việt: {company}" + (" - CHI NHÁNH SỐ 1" if branch else ""), BODY),
        (f"Tên viết tắt: {rng.choice(_COMPANY_NAMES)} CO., LTD", BODY),
        ("2. Địa chỉ trụ sở chính", BOLD),
        (random_address(rng, province) + ", Việt Nam", BODY),
        (contact + f"    Email: lienhe{rng.randint(1, 99)}@congty.vn", BODY),
    ]
    if branch:
        rows += [
            ("3. Thông tin doanh nghiệp chủ quản", BOLD),
            (f"Tên doanh nghiệp: {company}", BODY),
            (f"Mã số doanh nghiệp: {parent_code}", BODY),
        ]
    else:
        capital = rng.randint(1, 90) * 500_000_000
        rows.append((f"3. Vốn điều lệ: {capital:,} đồng".replace(",", "."), BOLD))
    rows += [
        ("4. Người đại diện theo pháp luật" + ("" if branch else " của công ty"), BOLD),
        (
            f"* Họ và tên: {person.name.upper()}    Giới tính: {'Nam' if person.male else 'Nữ'}",
            BODY,
        ),
        ("Chức danh: Giám đốc", BODY),
        (f"Sinh ngày: {date_digits(person.birth)}    Dân tộc: Kinh    Quốc tịch: Việt Nam", BODY),
        ("Loại giấy tờ pháp lý của cá nhân: Căn cước công dân", BODY),
        (f"Số giấy tờ pháp lý của cá nhân: {person.citizen_id}", BODY),
        (f"Ngày cấp: {date_digits(person.id_issued)}    Nơi cấp: {POLICE_ID_AUTHORITY}", BODY),
        (f"Địa chỉ thường trú: {person.address}", BODY),
    ]
    for text, style in rows:
        sheets.paragraph(text, style, indent=0)
    sheets.space(pt(16))
    signer = random_name(rng, rng.random() < 0.5)
    sheets.signature([("TRƯỞNG PHÒNG", BOLD)], signer, rng=rng)
    return sheets, document_metadata(
        DocumentType.BUSINESS_REGISTRATION,
        issue_date=issued.isoformat(),
        agency=" ".join(header),
        citizen_ids=[person.citizen_id],
        tax_codes=[code, parent_code if branch else ""],
        phones=[phone],
        names=[person.name.upper()],
        birth_dates=[person.birth.isoformat()],
        signer=signer,
        unit=f"Phòng Đăng ký kinh doanh, Sở Kế hoạch và Đầu tư {province.name}",
    )


def _card_expiry(person: Person) -> str:
    """Cards are renewed at 25, 40 and 60 (or at the next age when issued
    within two years of one); after 60 they never expire."""
    age = person.id_issued.year - person.birth.year
    for milestone in (25, 40, 60):
        if age < milestone - 2:
            birthday = person.birth.replace(day=min(person.birth.day, 28))
            return date_digits(birthday.replace(year=birthday.year + milestone))
    return "Không thời hạn"


def render_citizen_id_card(ctx: Context) -> tuple[Sheets, dict[str, Any]]:
    """The front of a chip-based citizen ID card, scanned at 300 DPI."""
    person = ctx.person
    sheets = Sheets(CARD, margins=(22, 24, 10, 250), background=240)
    draw = sheets.draw
    draw.rounded_rectangle((2, 2, CARD[0] - 3, CARD[1] - 3), radius=36, outline=150, width=3)
    draw.ellipse((60, 30, 190, 160), outline=120, width=5)  # the emblem
    draw.rectangle((40, 200, 215, 430), fill=200, outline=120, width=2)  # the photo
    draw.ellipse((95, 230, 160, 300), fill=150)
    draw.chord((65, 310, 190, 470), 180, 360, fill=150)
    small, field_style = Style("sans-bold", 21), Style("sans", 23)
    for text in (*MOTTO, *MOTTO_EN):
        sheets.line(text, small if text.isupper() else Style("sans", 19), align="center")
    sheets.line("CĂN CƯỚC CÔNG DÂN", Style("sans-bold", 36), align="center")
    sheets.line("Citizen Identity Card", Style("sans", 21), align="center")
    sheets.line(f"Số / No.: {person.citizen_id}", Style("sans-bold", 31))
    sheets.line("Họ và tên / Full name:", field_style)
    sheets.line(person.name.upper(), Style("sans-bold", 28))
    sex = "Nam" if person.male else "Nữ"
    sheets.line(f"Ngày sinh / Date of birth: {date_digits(person.birth)}", field_style)
    sheets.line(f"Giới tính / Sex: {sex}    Quốc tịch / Nationality: Việt Nam", field_style)
    sheets.paragraph(f"Quê quán / Place of origin: {person.origin}", field_style, indent=0)
    sheets.paragraph(
        f"Nơi thường trú / Place of residence: {person.address}", field_style, indent=0
    )
    sheets.put(f"Có giá trị đến: {_card_expiry(person)}", Style("sans", 17), x0=30, y=CARD[1] - 40)
    return sheets, document_metadata(
        DocumentType.CITIZEN_ID_CARD,
        citizen_ids=[person.citizen_id],
        names=[person.name.upper()],
        birth_dates=[person.birth.isoformat()],
    )
