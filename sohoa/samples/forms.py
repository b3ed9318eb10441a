"""What a citizen hands in and gets back at the one-stop desk: an application,
a birth registration form, the receipt with its dossier code in a QR code."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from sohoa.models import DocumentType
from sohoa.samples.drawing import (
    BODY,
    BOLD,
    HEADER,
    HEADER_BOLD,
    INK,
    ITALIC,
    TITLE,
    Line,
    Sheets,
    pt,
    qr_image,
)
from sohoa.samples.people import (
    MOTTO,
    POLICE_ID_AUTHORITY,
    Context,
    Person,
    date_digits,
    date_words,
    random_dossier_code,
    random_name,
    random_person,
)
from sohoa.samples.truth import document_metadata


def _motto(sheets: Sheets) -> None:
    sheets.line(MOTTO[0], HEADER_BOLD, align="center")
    sheets.line(MOTTO[1], HEADER_BOLD, align="center")
    w = HEADER_BOLD.font().getlength(MOTTO[1]) / 2
    c = sheets.size[0] / 2 + (sheets.left - sheets.right) / 2
    sheets.draw.line([(c - w, sheets.y - 8), (c + w, sheets.y - 8)], fill=INK, width=3)
    sheets.space(pt(14))


def _citizen_lines(person: Person, rng: random.Random) -> list[str]:
    lines = [f"Họ và tên: {person.name.upper()}"]
    lines.append(
        f"Ngày sinh: {date_digits(person.birth)}    Giới tính: {'Nam' if person.male else 'Nữ'}"
    )
    id_label = rng.choice(("Số CCCD", "Số định danh cá nhân", "Số CMND/CCCD"))
    lines.append(f"{id_label}: {person.citizen_id}    Ngày cấp: {date_digits(person.id_issued)}")
    lines.append(f"Nơi cấp: {POLICE_ID_AUTHORITY}")
    if person.old_id:
        lines.append(f"Số CMND cũ: {person.old_id}")
    lines.append(f"Nơi thường trú: {person.address}")
    lines.append(f"Số điện thoại: {person.phone}")
    return lines


def _sign_as_applicant(
    sheets: Sheets, ctx: Context, role: str, hint: str, place_prefix: str = ""
) -> None:
    """Place and date, the signer's role, how to sign, then the applicant's name."""
    sheets.space(pt(16))
    place_date = f"{place_prefix}{ctx.agency.place}, {date_words(ctx.issued)}"
    titles = [(place_date, ITALIC), (role, BOLD), (hint, ITALIC)]
    sheets.signature(titles, ctx.person.name, rng=ctx.rng)


_APPLICATIONS = (
    ("ĐƠN ĐỀ NGHỊ CẤP GIẤY PHÉP XÂY DỰNG", "cấp giấy phép xây dựng nhà ở riêng lẻ tại thửa đất "
     "số {n}, tờ bản đồ số {m}, diện tích xây dựng {a} m2, số tầng: {f} tầng."),
    ("ĐƠN ĐỀ NGHỊ CẤP BẢN SAO TRÍCH LỤC HỘ TỊCH", "cấp {f} bản sao trích lục khai sinh để bổ "
     "sung hồ sơ nhập học cho con."),
    ("ĐƠN ĐỀ NGHỊ HỖ TRỢ KINH PHÍ SỬA CHỮA NHÀ Ở", "xem xét hỗ trợ kinh phí sửa chữa nhà ở bị "
     "hư hỏng do mưa bão, diện tích bị hư hỏng khoảng {a} m2."),
    ("ĐƠN ĐỀ NGHỊ ĐĂNG KÝ HỘ KINH DOANH", "đăng ký hộ kinh doanh ngành nghề bán lẻ hàng tạp "
     "hóa, vốn kinh doanh {n} triệu đồng, số lao động: {f} người."),
    ("ĐƠN ĐỀ NGHỊ XÁC NHẬN THÔNG TIN CƯ TRÚ", "xác nhận thông tin cư trú để bổ sung hồ sơ vay "
     "vốn ưu đãi tại ngân hàng."),
)  # fmt: skip


def render_application(ctx: Context) -> tuple[Sheets, dict[str, Any]]:
    """A citizen's application form to an agency, signed by the applicant."""
    rng, person = ctx.rng, ctx.person
    sheets = Sheets()
    _motto(sheets)
    title, request = rng.choice(_APPLICATIONS)
    sheets.line(title, TITLE, align="center")
    sheets.space(pt(10))
    sheets.line(f"Kính gửi: {ctx.agency.name}", BODY, align="center")
    sheets.space(pt(10))
    sheets.line("Tôi là người đề nghị có thông tin như sau:", BODY)
    for text in _citizen_lines(person, rng):
        sheets.paragraph(text, BODY, indent=0)
    numbers = {
        "n": rng.randint(10, 900),
        "m": rng.randint(1, 60),
        "a": rng.randint(30, 300),
        "f": rng.randint(1, 5),
    }
    sheets.space(pt(6))
    sheets.paragraph("Nay tôi làm đơn này đề nghị " + request.format(**numbers))
    sheets.paragraph(
        "Tôi xin cam đoan những thông tin kê khai trên là đúng sự thật và chịu trách nhiệm "
        "trước pháp luật về nội dung đã khai."
    )
    _sign_as_applicant(sheets, ctx, "NGƯỜI LÀM ĐƠN", "(Ký và ghi rõ họ tên)")
    return sheets, document_metadata(
        DocumentType.APPLICATION,
        issue_date=ctx.issued.isoformat(),
        citizen_ids=[person.citizen_id],
        old_ids=[person.old_id],
        phones=[person.phone],
        names=[person.name.upper()],
        birth_dates=[person.birth.isoformat()],
        signer=person.name,
    )


def render_declaration(ctx: Context) -> tuple[Sheets, dict[str, Any]]:
    """A birth registration form: the requester, the child, the parents."""
    rng, person = ctx.rng, ctx.person
    child_male = rng.random() < 0.5
    family = person.name.split()[0]
    child = random_name(rng, child_male, family if person.male else None)
    child_birth = ctx.issued - timedelta(days=rng.randint(3, 55))
    spouse = random_person(rng, ctx.province, male=not person.male)
    father, mother = (person, spouse) if person.male else (spouse, person)
    if not person.male:
        child = random_name(rng, child_male, father.name.split()[0])
    sheets = Sheets()
    _motto(sheets)
    sheets.line("TỜ KHAI ĐĂNG KÝ KHAI SINH", TITLE, align="center")
    sheets.space(pt(10))
    sheets.line(f"Kính gửi: {ctx.agency.name}", BODY, align="center")
    sheets.space(pt(10))
    lines = [
        f"Họ, chữ đệm, tên người yêu cầu: {person.name.upper()}",
        f"Nơi cư trú: {person.address}",
        f"Giấy tờ tùy thân: Căn cước công dân số {person.citizen_id}, cấp ngày "
        f"{date_digits(person.id_issued)}",
        f"Quan hệ với người được khai sinh: {'Cha' if person.male else 'Mẹ'}",
        "Đề nghị cơ quan đăng ký khai sinh cho người dưới đây:",
        f"Họ, chữ đệm, tên: {child.upper()}",
        f"Ngày, tháng, năm sinh: {date_digits(child_birth)}",
        f"Giới tính: {'Nam' if child_male else 'Nữ'}    Dân tộc: Kinh    Quốc tịch: Việt Nam",
        f"Nơi sinh: Bệnh viện đa khoa {ctx.province.title}",
        f"Quê quán: {father.origin}",
        f"Họ, chữ đệm, tên người mẹ: {mother.name.upper()}",
        f"Năm sinh: {mother.birth.year}    Dân tộc: Kinh    Quốc tịch: Việt Nam",
        f"Họ, chữ đệm, tên người cha: {father.name.upper()}",
        f"Năm sinh: {father.birth.year}    Dân tộc: Kinh    Quốc tịch: Việt Nam",
        f"Số điện thoại liên hệ: {person.phone}",
    ]
    for text in lines:
        sheets.paragraph(text, BODY, indent=0)
    sheets.paragraph(
        "Tôi cam đoan nội dung đề nghị đăng ký khai sinh trên đây là đúng sự thật, được sự "
        "thỏa thuận nhất trí của các bên liên quan theo quy định pháp luật."
    )
    _sign_as_applicant(sheets, ctx, "NGƯỜI YÊU CẦU", "(Ký, ghi rõ họ, chữ đệm, tên)", "Làm tại: ")
    return sheets, document_metadata(
        DocumentType.DECLARATION,
        issue_date=ctx.issued.isoformat(),
        citizen_ids=[person.citizen_id],
        phones=[person.phone],
        names=[person.name.upper(), child.upper(), mother.name.upper(), father.name.upper()],
        birth_dates=[child_birth.isoformat()],
        signer=person.name,
    )


_PROCEDURES = (
    ("Cấp giấy phép xây dựng nhà ở riêng lẻ", ("Đơn đề nghị cấp giấy phép xây dựng",
     "Bản sao giấy chứng nhận quyền sử dụng đất", "Bản vẽ thiết kế xây dựng")),
    ("Đăng ký thành lập hộ kinh doanh", ("Giấy đề nghị đăng ký hộ kinh doanh",
     "Bản sao căn cước công dân của chủ hộ")),
    ("Đăng ký khai sinh", ("Tờ khai đăng ký khai sinh", "Giấy chứng sinh")),
    ("Cấp bản sao trích lục hộ tịch", ("Tờ khai cấp bản sao trích lục hộ tịch",)),
    ("Đăng ký thay đổi nội dung đăng ký doanh nghiệp", ("Thông báo thay đổi nội dung đăng ký "
     "doanh nghiệp", "Biên bản họp Hội đồng thành viên", "Giấy ủy quyền")),
)  # fmt: skip


def render_receipt(ctx: Context) -> tuple[Sheets, dict[str, Any]]:
    """A one-stop receipt with its dossier code printed and in a QR code."""
    rng, person, agency = ctx.rng, ctx.person, ctx.agency
    code = random_dossier_code(rng, ctx.province, ctx.issued)
    procedure, papers = rng.choice(_PROCEDURES)
    due = ctx.issued + timedelta(days=rng.randint(3, 20))
    sheets = Sheets()
    header = (agency.short.upper(), "BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ")
    left = [(header[0], HEADER), (header[1], HEADER_BOLD)]
    sheets.columns(left, [(MOTTO[0], HEADER_BOLD), (MOTTO[1], HEADER_BOLD)])
    sheets.line(f"{agency.place}, {date_words(ctx.issued)}", ITALIC, align="right")
    sheets.space(pt(16))
    title = rng.choice(("GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ", "BIÊN NHẬN HỒ SƠ"))
    sheets.line(title, TITLE, align="center")
    sheets.space(pt(10))
    qr = qr_image(code)
    right_edge = sheets.size[0] - sheets.right
    sheets.images[-1].paste(qr, (right_edge - qr.width, sheets.y - 20))
    sheets.narrow_until = (sheets.y + qr.height, right_edge - qr.width - 40)
    sheets.line(f"Mã hồ sơ: {code}", BOLD)
    sheets.paragraph(f"{agency.name} đã tiếp nhận hồ sơ của:", BODY, indent=0)
    sheets.line(f"Ông/Bà: {person.name}")
    sheets.line(f"Số CCCD: {person.citizen_id}")
    sheets.space(max(0, sheets.narrow_until[0] - sheets.y))
    lines = [
        f"Địa chỉ: {person.address}",
        f"Số điện thoại: {person.phone}",
        f"Nội dung yêu cầu giải quyết: {procedure}",
        "1. Thành phần hồ sơ nộp gồm:",
        *[f"- {paper}: 01 bản" for paper in papers],
        "2. Số lượng hồ sơ: 01 (bộ)",
        f"3. Thời gian giải quyết hồ sơ theo quy định là: {(due - ctx.issued).days:02d} ngày",
        f"4. Ngày nhận: {date_digits(ctx.issued)}, lúc {rng.randint(7, 16):02d} giờ "
        f"{rng.randint(0, 59):02d} phút",
        f"5. Ngày hẹn trả: {date_digits(due)}",
        f"6. Đăng ký nhận kết quả tại: Bộ phận Một cửa, {agency.name}",
    ]
    for text in lines:
        sheets.paragraph(text, BODY, indent=0)
    sheets.space(pt(16))
    clerk = random_name(rng, rng.random() < 0.4)
    left_block: list[Line] = [("NGƯỜI NỘP HỒ SƠ", BOLD), ("(Ký và ghi rõ họ tên)", ITALIC)]
    titles = [("NGƯỜI TIẾP NHẬN HỒ SƠ", BOLD), ("(Ký và ghi rõ họ tên)", ITALIC)]
    sheets.signature(titles, clerk, left_block, rng)
    return sheets, document_metadata(
        DocumentType.RECEIPT,
        issue_date=ctx.issued.isoformat(),
        agency=" ".join(header),
        citizen_ids=[person.citizen_id],
        phones=[person.phone],
        names=[person.name],
        dossier_code=code,
        qr_payload=code,
        signer=clerk,
        procedure=procedure,
    )
