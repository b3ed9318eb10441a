"""Three fixed specimen pages of known Vietnamese administrative text (a
decision, an application, a one-stop receipt), drawn with DejaVuSerif at any
DPI on a white A4 sheet, for tests that measure OCR against the exact text."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from sohoa.samples.drawing import a4_pixels, load_font, qr_image

# Each page is a list of (line, centered). Only single-column lines, so the
# ground truth reading order is unambiguous.
PAGE_TEXTS: tuple[tuple[tuple[str, bool], ...], ...] = (
    (
        ("ỦY BAN NHÂN DÂN QUẬN HOÀN KIẾM", False),
        ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", True),
        ("Độc lập - Tự do - Hạnh phúc", True),
        ("Số: 1524/QĐ-UBND", False),
        ("Hà Nội, ngày 15 tháng 3 năm 2024", False),
        ("QUYẾT ĐỊNH", True),
        ("Về việc cấp giấy phép xây dựng nhà ở riêng lẻ", True),
        ("CHỦ TỊCH ỦY BAN NHÂN DÂN QUẬN HOÀN KIẾM", True),
        ("Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;", False),
        ("Căn cứ Luật Xây dựng ngày 18 tháng 6 năm 2014;", False),
        ("Xét đề nghị của Trưởng phòng Quản lý đô thị quận,", False),
        ("QUYẾT ĐỊNH:", True),
        ("Điều 1. Cấp giấy phép xây dựng cho hộ gia đình có tên sau đây.", False),
        ("Họ và tên: Nguyễn Văn Ánh", False),
        ("Ngày sinh: 12/08/1985", False),
        ("Số căn cước công dân: 001085012345", False),
        ("Địa chỉ thường trú: số 18 phố Hàng Bạc, phường Hàng Đào", False),
        ("Diện tích xây dựng: 64,5 mét vuông; số tầng: 4 tầng.", False),
        ("Điều 2. Quyết định này có hiệu lực kể từ ngày ký.", False),
        ("Điều 3. Chánh Văn phòng, Trưởng phòng Tài chính - Kế hoạch", False),
        ("và ông Nguyễn Văn Ánh chịu trách nhiệm thi hành quyết định này.", False),
        ("Nơi nhận: như Điều 3; lưu văn thư.", False),
        ("KT. CHỦ TỊCH - PHÓ CHỦ TỊCH", True),
        ("Trần Thị Hồng Nhung", True),
    ),
    (
        ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", True),
        ("Độc lập - Tự do - Hạnh phúc", True),
        ("ĐƠN ĐỀ NGHỊ CẤP ĐỔI THẺ CĂN CƯỚC", True),
        ("Kính gửi: Công an phường Bến Nghé, Quận 1, Thành phố Hồ Chí Minh", False),
        ("Họ và tên: Lê Thị Phương Thảo", False),
        ("Giới tính: Nữ. Dân tộc: Kinh. Quốc tịch: Việt Nam", False),
        ("Ngày, tháng, năm sinh: 03/11/1992", False),
        ("Nơi đăng ký khai sinh: xã Đức Hòa, huyện Đức Thọ, tỉnh Hà Tĩnh", False),
        ("Quê quán: xã Thạch Đỉnh, huyện Thạch Hà, tỉnh Hà Tĩnh", False),
        ("Nơi thường trú: 27 đường Nguyễn Huệ, phường Bến Nghé", False),
        ("Số định danh cá nhân: 042192004817", False),
        ("Số điện thoại liên hệ: 0912 345 678", False),
        ("Lý do đề nghị: thẻ cũ bị hỏng, thông tin trên thẻ không còn rõ.", False),
        ("Tôi xin cam đoan những thông tin kê khai trên là đúng sự thật", False),
        ("và xin chịu trách nhiệm trước pháp luật về lời khai của mình.", False),
        ("Hồ sơ kèm theo gồm: bản sao giấy khai sinh, thẻ căn cước cũ.", False),
        ("Thành phố Hồ Chí Minh, ngày 08 tháng 01 năm 2025", True),
        ("NGƯỜI LÀM ĐƠN", True),
        ("(Ký, ghi rõ họ tên)", True),
        ("Lê Thị Phương Thảo", True),
    ),
    (
        ("SỞ KẾ HOẠCH VÀ ĐẦU TƯ TỈNH QUẢNG NAM", False),
        ("PHÒNG ĐĂNG KÝ KINH DOANH", False),
        ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", True),
        ("Độc lập - Tự do - Hạnh phúc", True),
        ("GIẤY BIÊN NHẬN HỒ SƠ", True),
        ("Mã hồ sơ: 000.00.24.H47-250312-0047", False),
        ("Tên doanh nghiệp: CÔNG TY TNHH THƯƠNG MẠI DỊCH VỤ HỘI AN XANH", False),
        ("Mã số doanh nghiệp: 4001234567", False),
        ("Người nộp hồ sơ: Phạm Quốc Dũng", False),
        ("Địa chỉ: 45 đường Trần Hưng Đạo, phường Minh An, thành phố Hội An", False),
        ("Thủ tục: Đăng ký thay đổi nội dung đăng ký doanh nghiệp", False),
        ("Thành phần hồ sơ đã nhận:", False),
        ("1. Thông báo thay đổi nội dung đăng ký doanh nghiệp;", False),
        ("2. Biên bản họp Hội đồng thành viên về việc thay đổi;", False),
        ("3. Quyết định của Hội đồng thành viên về việc thay đổi;", False),
        ("4. Giấy ủy quyền cho người đi nộp hồ sơ.", False),
        ("Ngày hẹn trả kết quả: 19/03/2025. Lệ phí: 50.000 đồng.", False),
        ("Quảng Nam, ngày 12 tháng 3 năm 2025", True),
        ("NGƯỜI NHẬN HỒ SƠ", True),
        ("Võ Thị Mỹ Duyên", True),
    ),
)


@dataclass(frozen=True)
class RenderedPage:
    """A page image (RGB, uint8) with the text drawn on it."""

    image: np.ndarray
    text: str
    dpi: int


def render_page(
    index: int = 0,
    dpi: int = 300,
    points: float = 12.0,
    qr_payload: str | None = None,
) -> RenderedPage:
    """Draw page ``index`` of PAGE_TEXTS on a white A4 sheet, with a QR code of
    ``qr_payload`` at the lower right when given."""
    width, height = a4_pixels(dpi)
    sheet = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(sheet)
    font = load_font("serif", round(points * dpi / 72))
    margin = round(dpi * 0.9)
    line_height = round(points * dpi / 72 * 1.8)
    y = margin
    lines = PAGE_TEXTS[index % len(PAGE_TEXTS)]
    for line, centered in lines:
        line_width = draw.textlength(line, font=font)
        x = (width - line_width) / 2 if centered else margin
        draw.text((x, y), line, font=font, fill=(20, 20, 30))
        y += line_height
    if qr_payload is not None:
        code = qr_image(qr_payload, max(1, dpi // 40), border=2)
        sheet.paste(code, (width - margin - code.width, height - margin - code.height))
    text = "\n".join(line for line, _ in lines)
    return RenderedPage(np.asarray(sheet), text, dpi)


def blank_page(dpi: int = 300) -> np.ndarray:
    """A white A4 sheet (RGB) at ``dpi``."""
    width, height = a4_pixels(dpi)
    return np.full((height, width, 3), 255, dtype=np.uint8)
