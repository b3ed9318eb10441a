"""What an agency issues over a signature: decisions, official letters and
reports, with a number/symbol and a place and date under the agency header."""

from __future__ import annotations

import random
from typing import Any

from sohoa.models import DocumentType
from sohoa.samples.drawing import (
    BODY,
    BOLD,
    HEADER,
    HEADER_BOLD,
    ITALIC,
    TITLE,
    Line,
    Sheets,
    Style,
    pt,
)
from sohoa.samples.people import (
    MOTTO,
    Agency,
    Context,
    date_digits,
    date_words,
    random_name,
    random_number_symbol,
)
from sohoa.samples.truth import document_metadata


def _official_header(sheets: Sheets, ctx: Context, number_symbol: str | None) -> None:
    """Agency and motto side by side, then the number and the place and date."""
    left: list[Line] = [(text, HEADER) for text in ctx.agency.header[:-1]]
    left.append((ctx.agency.header[-1], HEADER_BOLD))
    sheets.columns(left, [(MOTTO[0], HEADER_BOLD), (MOTTO[1], HEADER_BOLD)])
    date_line = f"{ctx.agency.place}, {date_words(ctx.issued)}"
    if number_symbol:
        sheets.columns([(f"Số: {number_symbol}", HEADER)], [(date_line, ITALIC)], rule=False)
    else:
        sheets.line(date_line, ITALIC, align="right")
    sheets.space(pt(12))


_LEGAL_BASES = (
    "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;",
    "Căn cứ Luật sửa đổi, bổ sung một số điều của Luật Tổ chức Chính phủ và Luật Tổ chức chính "
    "quyền địa phương ngày 22 tháng 11 năm 2019;",
    "Căn cứ Nghị định số 61/2018/NĐ-CP ngày 23 tháng 4 năm 2018 của Chính phủ về thực hiện cơ "
    "chế một cửa, một cửa liên thông trong giải quyết thủ tục hành chính;",
    "Căn cứ Nghị định số 01/2021/NĐ-CP ngày 04 tháng 01 năm 2021 của Chính phủ về đăng ký "
    "doanh nghiệp;",
    "Căn cứ Luật Xây dựng ngày 18 tháng 6 năm 2014;",
    "Căn cứ Thông tư số 01/2018/TT-VPCP ngày 23/11/2018 của Văn phòng Chính phủ;",
)
_DECISIONS = (
    ("Về việc cấp giấy phép xây dựng", "Cấp giấy phép xây dựng nhà ở riêng lẻ cho {title} "
     "{name}, sinh ngày {birth}, số CCCD: {cid}, thường trú tại {address}."),
    ("Về việc hỗ trợ kinh phí cho hộ gia đình", "Hỗ trợ kinh phí {money} đồng cho hộ {title} "
     "{name}, số định danh cá nhân {cid}, thường trú tại {address}."),
    ("Về việc công nhận kết quả xét tuyển viên chức", "Công nhận {title} {name}, sinh ngày "
     "{birth}, căn cước công dân số {cid}, trúng tuyển viên chức năm {year}."),
    ("Về việc thành lập Tổ công tác cải cách thủ tục hành chính", "Thành lập Tổ công tác cải "
     "cách thủ tục hành chính gồm {count} thành viên, do {title} {name} làm Tổ trưởng."),
)  # fmt: skip


def _body_values(ctx: Context) -> dict[str, Any]:
    p = ctx.person
    return {
        "title": p.title,
        "name": p.name,
        "birth": date_digits(p.birth),
        "cid": p.citizen_id,
        "address": p.address,
        "money": f"{ctx.rng.randint(5, 90)}.000.000",
        "year": ctx.issued.year,
        "count": ctx.rng.randint(5, 15),
    }


def _filler(rng: random.Random, agency: Agency, count: int) -> list[str]:
    sentences = (
        f"{agency.name} chỉ đạo các phòng, ban chuyên môn tiếp tục rà soát, đơn giản hóa thủ "
        "tục hành chính, công khai đầy đủ thành phần hồ sơ, thời hạn giải quyết và phí, lệ phí.",
        "Bộ phận Một cửa tiếp nhận, hướng dẫn và trả kết quả đúng hẹn; hồ sơ quá hạn phải có "
        "văn bản xin lỗi người dân và nêu rõ lý do.",
        "Tỷ lệ hồ sơ giải quyết đúng hạn đạt trên 98%, không có hồ sơ tồn đọng kéo dài; việc số "
        "hóa hồ sơ, kết quả giải quyết thủ tục hành chính được thực hiện thường xuyên.",
        "Các đơn vị tăng cường ứng dụng công nghệ thông tin, cung cấp dịch vụ công trực tuyến "
        "toàn trình và tuyên truyền để người dân, doanh nghiệp biết, sử dụng.",
        "Kinh phí thực hiện được bố trí từ nguồn ngân sách địa phương theo phân cấp hiện hành và "
        "các nguồn kinh phí hợp pháp khác.",
    )
    return [rng.choice(sentences) for _ in range(count)]


def _recipients(agency: Agency) -> list[Line]:
    return [
        ("Nơi nhận:", Style("serif-bold", pt(11))),
        ("- Như Điều 3;", Style("serif", pt(10.5))),
        (f"- {agency.short};", Style("serif", pt(10.5))),
        ("- Lưu: VT.", Style("serif", pt(10.5))),
    ]


def _signing_titles(agency: Agency, rng: random.Random) -> list[Line]:
    titles: list[Line] = []
    if agency.collective:
        titles.append((agency.collective, BOLD))
    if rng.random() < 0.5:
        titles += [(f"KT. {agency.head}", BOLD), (f"PHÓ {agency.head}", BOLD)]
    else:
        titles.append((agency.head, BOLD))
    return titles


def render_decision(ctx: Context) -> tuple[Sheets, dict[str, Any]]:
    """A decision: legal bases, articles, the signing block and recipients."""
    rng, agency = ctx.rng, ctx.agency
    symbol = random_number_symbol(rng, "QĐ", agency, ctx.issued.year)
    sheets = Sheets()
    _official_header(sheets, ctx, symbol)
    subject, article = rng.choice(_DECISIONS)
    sheets.line("QUYẾT ĐỊNH", TITLE, align="center")
    sheets.line(subject, BOLD, align="center")
    sheets.space(pt(8))
    issuer = f"{agency.head} {' '.join(agency.header[-1:])}"
    if agency.code == "UBND":
        issuer = f"CHỦ TỊCH {' '.join(agency.header)}".replace("UBND ", "ỦY BAN NHÂN DÂN ")
    sheets.line(issuer, BOLD, align="center")
    sheets.space(pt(8))
    for basis in rng.sample(_LEGAL_BASES, rng.randint(2, 4)):
        sheets.paragraph(basis)
    sheets.paragraph(f"Theo đề nghị của Trưởng phòng chuyên môn thuộc {agency.name}.")
    sheets.space(pt(6))
    sheets.line("QUYẾT ĐỊNH:", BOLD, align="center")
    values = _body_values(ctx)
    sheets.paragraph("Điều 1. " + article.format(**values))
    for text in _filler(rng, agency, rng.randint(0, 4)):
        sheets.paragraph(text)
    sheets.paragraph("Điều 2. Quyết định này có hiệu lực kể từ ngày ký.")
    sheets.paragraph(
        "Điều 3. Chánh Văn phòng, Thủ trưởng các cơ quan, đơn vị có liên quan và "
        f"{ctx.person.title} {ctx.person.name} chịu trách nhiệm thi hành Quyết định này./."
    )
    sheets.space(pt(10))
    signer = random_name(rng, rng.random() < 0.6)
    sheets.signature(_signing_titles(agency, rng), signer, _recipients(agency), rng)
    mentions_id = "{cid}" in article
    return sheets, document_metadata(
        DocumentType.DECISION,
        number_symbol=symbol,
        issue_date=ctx.issued.isoformat(),
        agency=" ".join(agency.header),
        citizen_ids=[ctx.person.citizen_id] if mentions_id else [],
        birth_dates=[ctx.person.birth.isoformat()] if "{birth}" in article else [],
        signer=signer,
    )


def render_letter_or_report(ctx: Context, report: bool) -> tuple[Sheets, dict[str, Any]]:
    """An official letter, or a report on administrative procedures when ``report``."""
    rng, agency = ctx.rng, ctx.agency
    symbol = random_number_symbol(rng, "BC" if report else "", agency, ctx.issued.year)
    sheets = Sheets()
    _official_header(sheets, ctx, symbol)
    if report:
        period = rng.choice(("6 tháng đầu năm", "quý I năm", "năm", "9 tháng năm"))
        sheets.line("BÁO CÁO", TITLE, align="center")
        sheets.line(
            f"Kết quả giải quyết thủ tục hành chính {period} {ctx.issued.year}",
            BOLD,
            align="center",
        )
        sheets.space(pt(10))
        sheets.line("I. KẾT QUẢ THỰC HIỆN", BOLD)
        received = rng.randint(800, 9000)
        sheets.paragraph(
            f"Tổng số hồ sơ tiếp nhận: {received:,} hồ sơ; đã giải quyết "
            f"{received - rng.randint(5, 200):,} hồ sơ, trong đó trực tuyến "
            f"{rng.randint(100, 700):,} hồ sơ.".replace(",", ".")
        )
    else:
        subject = rng.choice(
            (
                "V/v hướng dẫn thực hiện thủ tục hành chính trên Cổng dịch vụ công",
                "V/v đôn đốc số hóa hồ sơ, kết quả giải quyết thủ tục hành chính",
                "V/v cung cấp thông tin phục vụ cải cách hành chính",
            )
        )
        sheets.paragraph(subject, ITALIC, indent=0)
        sheets.space(pt(10))
        sheets.line("Kính gửi: Các phòng, ban, đơn vị trực thuộc", BODY, align="center")
        sheets.space(pt(10))
    for text in _filler(rng, agency, rng.randint(2, 9 if report else 5)):
        sheets.paragraph(text)
    if report:
        sheets.line("II. PHƯƠNG HƯỚNG, NHIỆM VỤ", BOLD)
        for text in _filler(rng, agency, rng.randint(1, 5)):
            sheets.paragraph(text)
    sheets.paragraph(
        f"Đầu mối liên hệ: {ctx.person.title} {ctx.person.name}, số điện thoại {ctx.person.phone}."
    )
    sheets.space(pt(10))
    signer = random_name(rng, rng.random() < 0.6)
    recipients = _recipients(agency)
    recipients[1] = ("- Như trên;", recipients[1][1])
    sheets.signature(_signing_titles(agency, rng), signer, recipients, rng)
    return sheets, document_metadata(
        DocumentType.REPORT if report else DocumentType.OFFICIAL_LETTER,
        number_symbol=symbol,
        issue_date=ctx.issued.isoformat(),
        agency=" ".join(agency.header),
        phones=[ctx.person.phone],
        signer=signer,
    )
