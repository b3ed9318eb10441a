"""Generated Vietnamese administrative documents with their ground truth.

Demo batches, tests and benchmarks need scans whose every word, number and date
is known. ``render_document`` draws one document (an application form, a
decision, a business registration certificate, a citizen ID card, a one-stop
receipt with its QR code, ...) at 300 DPI with the DejaVu fonts, which cover
every Vietnamese letter, and returns its pages with exactly what was drawn and
the metadata a perfect reader would extract. ``distort`` adds what a scanner
adds; ``write_batch`` writes documents as an inbox batch, with the truth in a
JSON file beside the batch folder so it is never ingested as a document.
``ocr_noise`` degrades text the way OCR does, for fast tests of text rules.
"""

from __future__ import annotations

import csv
import io
import json
import random
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import img2pdf
import numpy as np
import qrcode
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from sohoa.core.text import fold
from sohoa.models import DocumentType

DPI = 300
A4 = (2480, 3508)
CARD = (1011, 638)
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
WHITE = 255
INK = 20

MOTTO = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")
MOTTO_EN = ("SOCIALIST REPUBLIC OF VIET NAM", "Independence - Freedom - Happiness")
KINDS = (
    "application",
    "declaration",
    "decision",
    "official_letter",
    "report",
    "business_registration",
    "citizen_id_card",
    "receipt",
)
FORMATS = ("pdf", "tiff", "jpeg", "png")
MULTIPAGE_FORMATS = ("pdf", "tiff")
_USUALLY_LONG = ("declaration", "business_registration", "decision", "report")
_EXTENSIONS = {"pdf": "pdf", "tiff": "tif", "jpeg": "jpg", "png": "png"}
# Fields whose truth is a list of values, and the extractor field each one checks.
LIST_FIELDS = {
    "citizen_id": "citizen_ids",
    "old_id": "old_ids",
    "tax_code": "tax_codes",
    "phone": "phones",
    "person_name": "names",
    "birth_date": "birth_dates",
}

# ----------------------------------------------------------------------------
# Ground truth


@dataclass(frozen=True)
class GroundTruth:
    """What was drawn: each page's text (lines joined by "\\n") and the metadata.

    ``metadata`` keys: document_type (a DocumentType value), number_symbol,
    issue_date (ISO), agency, dossier_code, qr_payload, signer (str or None) and
    the lists citizen_ids, old_ids, tax_codes, phones, names, birth_dates
    (birth dates ISO). Names are only those written after a name label.
    """

    kind: str
    pages: tuple[str, ...]
    metadata: dict[str, Any]
    distortions: tuple[dict[str, Any], ...] = ()
    file_format: str = ""
    manifest: dict[str, str] | None = None

    def expected(self, field_name: str) -> set[str]:
        """The values a perfect extractor returns for ``field_name``."""
        value = self.metadata.get(LIST_FIELDS.get(field_name, field_name))
        if value is None or value == "":
            return set()
        return set(value) if isinstance(value, list) else {str(value)}

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> GroundTruth:
        return cls(
            kind=data["kind"],
            pages=tuple(data["pages"]),
            metadata=data["metadata"],
            distortions=tuple(data.get("distortions", ())),
            file_format=data.get("file_format", ""),
            manifest=data.get("manifest"),
        )


@dataclass
class SampleDocument:
    kind: str
    pages: list[Image.Image]
    truth: GroundTruth


@dataclass(frozen=True)
class BatchTruth:
    """A written batch: its folder, the truth file and each file's truth."""

    batch_dir: Path
    truth_path: Path
    documents: dict[str, GroundTruth]


# ----------------------------------------------------------------------------
# Vocabulary: people, places, agencies

_FAMILY = (
    ("Nguyễn", 30),
    ("Trần", 11),
    ("Lê", 9),
    ("Phạm", 7),
    ("Hoàng", 5),
    ("Huỳnh", 4),
    ("Phan", 4),
    ("Vũ", 4),
    ("Võ", 4),
    ("Đặng", 2),
    ("Bùi", 2),
    ("Đỗ", 2),
    ("Hồ", 2),
    ("Ngô", 2),
    ("Dương", 1),
    ("Lý", 1),
)
_MIDDLE_MALE = ("Văn", "Đức", "Minh", "Quang", "Hữu", "Công", "Thành", "Xuân", "Ngọc", "Trọng")
_MIDDLE_FEMALE = ("Thị", "Ngọc", "Thu", "Thanh", "Mai", "Hồng", "Kim", "Phương", "Thùy", "Bích")
_GIVEN_MALE = (
    "An", "Bình", "Cường", "Dũng", "Đức", "Hải", "Hiếu", "Hùng", "Huy", "Khánh", "Khoa",
    "Long", "Nam", "Phong", "Quân", "Sơn", "Thắng", "Toàn", "Trung", "Tuấn", "Việt", "Vinh",
)  # fmt: skip
_GIVEN_FEMALE = (
    "Anh", "Châu", "Dung", "Giang", "Hà", "Hạnh", "Hằng", "Hoa", "Hương", "Lan", "Linh",
    "Loan", "Mai", "Ngân", "Nhung", "Oanh", "Phượng", "Quyên", "Thảo", "Trang", "Tuyết", "Yến",
)  # fmt: skip
_STREETS = (
    "phố Hàng Bài", "đường Trần Hưng Đạo", "đường Lê Lợi", "phố Nguyễn Trãi", "đường Hùng Vương",
    "đường Nguyễn Văn Cừ", "phố Lý Thường Kiệt", "đường Hai Bà Trưng", "đường Phan Đình Phùng",
)  # fmt: skip


@dataclass(frozen=True)
class _District:
    kind: str  # quận, huyện, thị xã, thành phố
    name: str
    wards: tuple[str, ...]  # "phường Dịch Vọng", "xã Bát Tràng"


@dataclass(frozen=True)
class _Province:
    kind: str  # tỉnh or thành phố
    name: str
    id_code: str  # first three digits of a citizen ID registered here
    tax_prefix: str
    portal_code: str  # agency code used in one-stop dossier codes
    districts: tuple[_District, ...]

    @property
    def title(self) -> str:
        return f"{self.kind} {self.name}"


_PROVINCES = (
    _Province("thành phố", "Hà Nội", "001", "01", "H26", (
        _District("quận", "Cầu Giấy", ("phường Dịch Vọng", "phường Nghĩa Đô", "phường Yên Hòa")),
        _District("quận", "Hoàn Kiếm", ("phường Hàng Bài", "phường Tràng Tiền", "phường Hàng Đào")),
        _District("huyện", "Gia Lâm", ("xã Bát Tràng", "thị trấn Trâu Quỳ", "xã Đa Tốn")),
    )),
    _Province("thành phố", "Hồ Chí Minh", "079", "03", "H29", (
        _District("quận", "Bình Thạnh", ("phường 25", "phường 17", "phường 1")),
        _District("thành phố", "Thủ Đức", ("phường Linh Trung", "phường An Phú")),
        _District("huyện", "Củ Chi", ("xã Tân Thông Hội", "thị trấn Củ Chi", "xã Phước Thạnh")),
    )),
    _Province("tỉnh", "Bắc Ninh", "027", "23", "H10", (
        _District("thành phố", "Bắc Ninh", ("phường Suối Hoa", "phường Vệ An", "phường Đại Phúc")),
        _District("huyện", "Tiên Du", ("xã Phật Tích", "thị trấn Lim", "xã Việt Đoàn")),
    )),
    _Province("thành phố", "Đà Nẵng", "048", "04", "H17", (
        _District("quận", "Hải Châu", ("phường Thạch Thang", "phường Hòa Thuận Đông")),
        _District("huyện", "Hòa Vang", ("xã Hòa Tiến", "xã Hòa Phong")),
    )),
    _Province("tỉnh", "Thanh Hóa", "038", "28", "H56", (
        _District("thành phố", "Sầm Sơn", ("phường Trường Sơn", "phường Quảng Tiến")),
        _District("huyện", "Hoằng Hóa", ("xã Hoằng Đạo", "thị trấn Bút Sơn")),
    )),
    _Province("tỉnh", "Khánh Hòa", "056", "42", "H34", (
        _District("thành phố", "Nha Trang", ("phường Lộc Thọ", "phường Vĩnh Hải")),
        _District("huyện", "Diên Khánh", ("xã Diên An", "thị trấn Diên Khánh")),
    )),
    _Province("tỉnh", "Lâm Đồng", "068", "58", "H39", (
        _District("thành phố", "Đà Lạt", ("phường 1", "phường 8", "phường 10")),
        _District("huyện", "Đức Trọng", ("thị trấn Liên Nghĩa", "xã Hiệp Thạnh")),
    )),
    _Province("thành phố", "Cần Thơ", "092", "18", "H13", (
        _District("quận", "Ninh Kiều", ("phường An Hòa", "phường Tân An", "phường Xuân Khánh")),
        _District("huyện", "Phong Điền", ("xã Nhơn Ái", "thị trấn Phong Điền")),
    )),
)  # fmt: skip

_DEPARTMENTS = (
    ("SỞ CÔNG THƯƠNG", "SCT", "Sở Công Thương", "QLTM"),
    ("SỞ KẾ HOẠCH VÀ ĐẦU TƯ", "SKHĐT", "Sở Kế hoạch và Đầu tư", "ĐKKD"),
    ("SỞ TƯ PHÁP", "STP", "Sở Tư pháp", "HCTP"),
    ("SỞ TÀI NGUYÊN VÀ MÔI TRƯỜNG", "STNMT", "Sở Tài nguyên và Môi trường", "QLĐĐ"),
    ("SỞ GIÁO DỤC VÀ ĐÀO TẠO", "SGDĐT", "Sở Giáo dục và Đào tạo", "VP"),
    ("SỞ Y TẾ", "SYT", "Sở Y tế", "NVY"),
    ("SỞ NỘI VỤ", "SNV", "Sở Nội vụ", "TCBC"),
)
_POLICE_ID_AUTHORITY = "Cục Cảnh sát quản lý hành chính về trật tự xã hội"


@dataclass(frozen=True)
class _Agency:
    header: tuple[str, ...]  # the upper-left block, as printed
    name: str  # in running text: "Ủy ban nhân dân huyện Gia Lâm"
    code: str  # its part of a symbol: UBND, SCT, CAT-PC06
    unit: str  # a sub-unit for official letters' symbols
    place: str  # printed before the date
    head: str  # CHỦ TỊCH, GIÁM ĐỐC, ...
    collective: str  # "TM. ỦY BAN NHÂN DÂN" or ""
    short: str  # for manifests: "UBND huyện Gia Lâm"


@dataclass(frozen=True)
class _Person:
    name: str
    male: bool
    birth: date
    citizen_id: str
    id_issued: date
    old_id: str
    phone: str
    address: str
    origin: str

    @property
    def title(self) -> str:
        return "ông" if self.male else "bà"


def _pick_family(rng: random.Random) -> str:
    names, weights = zip(*_FAMILY, strict=True)
    return rng.choices(names, weights)[0]


def _person_name(rng: random.Random, male: bool, family: str | None = None) -> str:
    middle = rng.choice(_MIDDLE_MALE if male else _MIDDLE_FEMALE)
    given = rng.choice(_GIVEN_MALE if male else _GIVEN_FEMALE)
    parts = [family or _pick_family(rng), middle]
    if rng.random() < 0.25:
        extra = rng.choice(_MIDDLE_MALE[2:] if male else _MIDDLE_FEMALE[1:])
        if extra != middle:
            parts.append(extra)
    return " ".join([*parts, given])


def _digits(rng: random.Random, count: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(count))


def _citizen_id(rng: random.Random, province: _Province, male: bool, birth: date) -> str:
    """Province of birth registration, sex and century, year of birth, serial."""
    century = 0 if birth.year < 2000 else 2
    return (
        f"{province.id_code}{century + (0 if male else 1)}{birth.year % 100:02d}{_digits(rng, 6)}"
    )


def _tax_code(rng: random.Random, province: _Province) -> str:
    """A 10-digit enterprise tax code with its check digit."""
    while True:
        body = province.tax_prefix + _digits(rng, 7)
        weights = (31, 29, 23, 19, 17, 13, 7, 5, 3)
        check = 10 - sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11
        if check < 10:
            return body + str(check)


def _random_date(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, (end - start).days))


def _address(rng: random.Random, province: _Province) -> str:
    district = rng.choice(province.districts)
    ward = rng.choice(district.wards)
    house = f"Số {rng.randint(1, 199)}"
    if rng.random() < 0.4:
        house += f", ngõ {rng.randint(2, 120)}"
    return (
        f"{house}, {rng.choice(_STREETS)}, {ward}, {district.kind} {district.name}, "
        f"{province.title}"
    )


def _person(rng: random.Random, province: _Province, male: bool | None = None) -> _Person:
    male = rng.random() < 0.5 if male is None else male
    birth = _random_date(rng, date(1955, 1, 1), date(2004, 12, 31))
    return _Person(
        name=_person_name(rng, male),
        male=male,
        birth=birth,
        citizen_id=_citizen_id(rng, province, male, birth),
        id_issued=_random_date(rng, date(2016, 1, 1), date(2022, 12, 31)),
        old_id=_digits(rng, 9) if rng.random() < 0.3 else "",
        phone="0" + rng.choice("35789") + _digits(rng, 8),
        address=_address(rng, province),
        origin=f"{rng.choice(rng.choice(province.districts).wards)}, {province.title}",
    )


def _agency(rng: random.Random, province: _Province, level: str | None = None) -> _Agency:
    level = level or rng.choice(("province", "district", "ward", "department", "police"))
    district = rng.choice(province.districts)
    province_upper = province.title.upper()
    if level == "province":
        return _Agency(
            ("ỦY BAN NHÂN DÂN", province_upper), f"Ủy ban nhân dân {province.title}", "UBND", "VP",
            province.name,
            "CHỦ TỊCH", "TM. ỦY BAN NHÂN DÂN", f"UBND {province.title}",
        )  # fmt: skip
    if level in ("district", "ward"):
        unit = f"{district.kind} {district.name}"
        if level == "ward":
            unit = rng.choice(district.wards)
        place = district.name
        if level == "ward" and not unit[-1].isdigit():
            place = unit.removeprefix("thị trấn ").removeprefix("phường ").removeprefix("xã ")
        short = rng.random() < 0.3
        header = (f"UBND {unit.upper()}",) if short else ("ỦY BAN NHÂN DÂN", unit.upper())
        return _Agency(
            header, f"Ủy ban nhân dân {unit}", "UBND", rng.choice(("VP", "TCKH", "QLĐT")),
            place, "CHỦ TỊCH", "TM. ỦY BAN NHÂN DÂN", f"UBND {unit}",
        )  # fmt: skip
    if level == "department":
        upper, code, name, unit = rng.choice(_DEPARTMENTS)
        parent = "UBND " + province_upper
        return _Agency(
            (parent, upper), f"{name} {province.title}", code, unit, province.name,
            "GIÁM ĐỐC", "", f"{name} {province.name}",
        )  # fmt: skip
    return _Agency(
        (f"CÔNG AN {province_upper}", "PHÒNG CẢNH SÁT QLHC VỀ TTXH"),
        f"Phòng Cảnh sát quản lý hành chính về trật tự xã hội, Công an {province.title}",
        "CAT-PC06", "", province.name, "TRƯỞNG PHÒNG", "", f"Công an {province.name}",
    )  # fmt: skip


# ----------------------------------------------------------------------------
# Dates and numbers as Vietnamese documents print them


def date_words(day: date) -> str:
    """'ngày 05 tháng 01 năm 2023': days below 10 and months 1-2 get a zero."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"


def date_digits(day: date) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


def _number_symbol(rng: random.Random, doc_code: str, agency: _Agency, year: int) -> str:
    number = str(rng.randint(1, 3500))
    if rng.random() < 0.15:
        number = f"{rng.randint(1, 99):02d}"
    if doc_code == "":  # official letter: agency, then its unit
        return f"{number}/{agency.code}" + (f"-{agency.unit}" if agency.unit else "")
    if doc_code == "QĐ" and rng.random() < 0.15:
        return f"{number}/{year}/QĐ-{agency.code}"
    return f"{number}/{doc_code}-{agency.code}"


def _dossier_code(rng: random.Random, province: _Province, received: date) -> str:
    office = f"000.{rng.randint(0, 99):02d}.{rng.randint(1, 40):02d}.{province.portal_code}"
    return f"{office}-{received:%y%m%d}-{rng.randint(1, 9999):04d}"


# ----------------------------------------------------------------------------
# Drawing


_FONT_FILES = {
    "serif": "DejaVuSerif.ttf",
    "serif-bold": "DejaVuSerif-Bold.ttf",
    "serif-italic": "DejaVuSerif-Italic.ttf",
    "sans": "DejaVuSans.ttf",
    "sans-bold": "DejaVuSans-Bold.ttf",
}


@lru_cache(maxsize=128)
def _font(style: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_DIR / _FONT_FILES[style]), size)


def pt(points: float) -> int:
    """Points to pixels at 300 DPI."""
    return round(points * DPI / 72)


@dataclass(frozen=True)
class _Style:
    face: str = "serif"
    size: int = pt(13)

    def font(self) -> ImageFont.FreeTypeFont:
        return _font(self.face, self.size)

    def fitted(self, text: str, width: float) -> ImageFont.FreeTypeFont:
        """This style's font, shrunk until ``text`` fits in ``width`` pixels."""
        size = self.size
        while size > 12 and _font(self.face, size).getlength(text) > width:
            size -= 2
        return _font(self.face, size)


BODY = _Style()
BOLD = _Style("serif-bold")
ITALIC = _Style("serif-italic")
TITLE = _Style("serif-bold", pt(14))
HEADER = _Style("serif", pt(12.5))
HEADER_BOLD = _Style("serif-bold", pt(12.5))

Line = tuple[str, _Style]


class _Sheets:
    """Draws lines top to bottom, starting new pages as needed, and records
    every line drawn as that page's ground truth text."""

    def __init__(
        self,
        size: tuple[int, int] = A4,
        margins: tuple[int, int, int, int] = (236, 177, 236, 354),
        background: int = WHITE,
    ) -> None:
        self.size = size
        self.top, self.right, self.bottom, self.left = margins
        self.background = background
        self.images: list[Image.Image] = []
        self.lines: list[list[str]] = []
        self.y = 0
        self.narrow_until = (0, 0)  # (y, right edge) while something sits at the right
        self.new_page()

    @property
    def x1(self) -> int:
        limit_y, limit_x = self.narrow_until
        edge = self.size[0] - self.right
        return min(edge, limit_x) if self.y < limit_y else edge

    @property
    def draw(self) -> ImageDraw.ImageDraw:
        return ImageDraw.Draw(self.images[-1])

    def new_page(self) -> None:
        self.images.append(Image.new("L", self.size, self.background))
        self.lines.append([])
        self.y = self.top
        self.narrow_until = (0, 0)
        if len(self.images) > 1:  # pages after the first carry their number on top
            number = str(len(self.images))
            self.put(number, BODY, align="center", y=self.top // 2)

    def ensure(self, height: int) -> None:
        if self.y + height > self.size[1] - self.bottom:
            self.new_page()

    def put(
        self,
        text: str,
        style: _Style,
        *,
        align: str = "left",
        x0: int | None = None,
        x1: int | None = None,
        y: int | None = None,
        indent: int = 0,
    ) -> int:
        """Draw one line without moving the cursor; return the line's height."""
        x0 = self.left if x0 is None else x0
        x1 = self.x1 if x1 is None else x1
        font = style.fitted(text, x1 - x0 - indent)
        width = font.getlength(text)
        if align == "center":
            x = x0 + (x1 - x0 - width) / 2
        elif align == "right":
            x = x1 - width
        else:
            x = x0 + indent
        self.draw.text((x, self.y if y is None else y), text, font=font, fill=INK)
        self.lines[-1].append(text)
        return round(font.size * 1.45)

    def line(self, text: str, style: _Style = BODY, **kwargs: Any) -> None:
        self.ensure(round(style.size * 1.45))
        self.y += self.put(text, style, **kwargs)

    def paragraph(self, text: str, style: _Style = BODY, indent: int = pt(28)) -> None:
        """Greedy word wrap, first line indented."""
        font = style.font()
        words = text.split()
        current: list[str] = []
        first = True
        while words:
            width = self.x1 - self.left - (indent if first else 0)
            candidate = [*current, words[0]]
            if current and font.getlength(" ".join(candidate)) > width:
                self.line(" ".join(current), style, indent=indent if first else 0)
                current, first = [], False
            else:
                current = candidate
                words.pop(0)
        if current:
            self.line(" ".join(current), style, indent=indent if first else 0)

    def space(self, height: int) -> None:
        self.y += height

    def columns(
        self, left: Sequence[Line], right: Sequence[Line], split: float = 0.42, rule: bool = True
    ) -> None:
        """Two centered blocks side by side, as in every administrative header.
        The left block is recorded first, then the right one."""
        width = self.size[0] - self.left - self.right
        middle = self.left + round(width * split)
        heights = []
        for block, x0, x1 in ((left, self.left, middle), (right, middle + 20, self.x1)):
            y = self.y
            for text, style in block:
                y += self.put(text, style, align="center", x0=x0, x1=x1, y=y)
            if rule and block and block[-1][1] in (HEADER_BOLD, BOLD):
                text, style = block[-1]
                text_width = style.fitted(text, x1 - x0).getlength(text)
                half = text_width / 2 if block is right else text_width / 5
                center = (x0 + x1) / 2
                self.draw.line([(center - half, y + 4), (center + half, y + 4)], fill=INK, width=3)
            heights.append(y - self.y)
        self.y += max(heights) + pt(6)

    def signature(
        self, titles: Sequence[Line], signer: str, left: Sequence[Line] = (), rng: Any = None
    ) -> None:
        """The signing block at the right (titles, a scribble, the name) with
        an optional block at the left (recipients)."""
        self.ensure(pt(40) * (len(titles) + 2) + pt(70))
        top = self.y
        width = self.size[0] - self.left - self.right
        x0 = self.left + round(width * 0.45)
        x1 = self.size[0] - self.right
        y = top
        for text, style in left:
            y += self.put(text, style, x0=self.left, x1=x0 - 20, y=y)
        left_bottom = y
        y = top
        for text, style in titles:
            y += self.put(text, style, align="center", x0=x0, x1=x1, y=y)
        if rng is not None:
            _scribble(self.draw, rng, (x0 + x1) / 2, y + pt(30), pt(60))
        y += pt(75)
        y += self.put(signer, BOLD, align="center", x0=x0, x1=x1, y=y)
        self.y = max(y, left_bottom) + pt(10)


def _scribble(draw: ImageDraw.ImageDraw, rng: random.Random, cx: float, cy: float, w: int) -> None:
    points = []
    for i in range(9):
        x = cx - w + i * (2 * w / 8) + rng.uniform(-20, 20)
        y = cy + rng.uniform(-w / 3, w / 3)
        points.append((x, y))
    draw.line(points, fill=60, width=5, joint="curve")


def _qr_image(payload: str, module_px: int = 9) -> Image.Image:
    code = qrcode.QRCode(border=4, box_size=module_px, error_correction=qrcode.ERROR_CORRECT_M)
    code.add_data(payload)
    code.make(fit=True)
    return code.make_image(fill_color="black", back_color="white").get_image().convert("L")


# ----------------------------------------------------------------------------
# Documents


@dataclass
class _Context:
    """Everything random about one document, drawn once from the rng."""

    rng: random.Random
    province: _Province
    issued: date
    person: _Person
    agency: _Agency


def _context(rng: random.Random, level: str | None = None) -> _Context:
    province = rng.choice(_PROVINCES)
    return _Context(
        rng=rng,
        province=province,
        issued=_random_date(rng, date(2019, 1, 1), date(2025, 6, 30)),
        person=_person(rng, province),
        agency=_agency(rng, province, level),
    )


def _metadata(document_type: DocumentType, **values: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "document_type": document_type.value,
        "number_symbol": None,
        "issue_date": None,
        "agency": None,
        "dossier_code": None,
        "qr_payload": None,
        "signer": None,
    }
    meta.update({key: [] for key in LIST_FIELDS.values()})
    for key, value in values.items():
        if key in LIST_FIELDS.values():
            value = list(dict.fromkeys(v for v in value if v))
        meta[key] = value
    return meta


def _motto(sheets: _Sheets) -> None:
    sheets.line(MOTTO[0], HEADER_BOLD, align="center")
    sheets.line(MOTTO[1], HEADER_BOLD, align="center")
    w = HEADER_BOLD.font().getlength(MOTTO[1]) / 2
    c = sheets.size[0] / 2 + (sheets.left - sheets.right) / 2
    sheets.draw.line([(c - w, sheets.y - 8), (c + w, sheets.y - 8)], fill=INK, width=3)
    sheets.space(pt(14))


def _official_header(sheets: _Sheets, ctx: _Context, number_symbol: str | None) -> None:
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


def _citizen_lines(person: _Person, rng: random.Random) -> list[str]:
    lines = [f"Họ và tên: {person.name.upper()}"]
    lines.append(
        f"Ngày sinh: {date_digits(person.birth)}    Giới tính: {'Nam' if person.male else 'Nữ'}"
    )
    id_label = rng.choice(("Số CCCD", "Số định danh cá nhân", "Số CMND/CCCD"))
    lines.append(f"{id_label}: {person.citizen_id}    Ngày cấp: {date_digits(person.id_issued)}")
    lines.append(f"Nơi cấp: {_POLICE_ID_AUTHORITY}")
    if person.old_id:
        lines.append(f"Số CMND cũ: {person.old_id}")
    lines.append(f"Nơi thường trú: {person.address}")
    lines.append(f"Số điện thoại: {person.phone}")
    return lines


def _sign_as_applicant(
    sheets: _Sheets, ctx: _Context, role: str, hint: str, place_prefix: str = ""
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


def _render_application(ctx: _Context) -> tuple[_Sheets, dict[str, Any]]:
    rng, person = ctx.rng, ctx.person
    sheets = _Sheets()
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
    return sheets, _metadata(
        DocumentType.APPLICATION,
        issue_date=ctx.issued.isoformat(),
        citizen_ids=[person.citizen_id],
        old_ids=[person.old_id],
        phones=[person.phone],
        names=[person.name.upper()],
        birth_dates=[person.birth.isoformat()],
        signer=person.name,
    )


def _render_declaration(ctx: _Context) -> tuple[_Sheets, dict[str, Any]]:
    """A birth registration form: the requester, the child, the parents."""
    rng, person = ctx.rng, ctx.person
    child_male = rng.random() < 0.5
    family = person.name.split()[0]
    child = _person_name(rng, child_male, family if person.male else None)
    child_birth = ctx.issued - timedelta(days=rng.randint(3, 55))
    spouse = _person(rng, ctx.province, male=not person.male)
    father, mother = (person, spouse) if person.male else (spouse, person)
    if not person.male:
        child = _person_name(rng, child_male, father.name.split()[0])
    sheets = _Sheets()
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
    return sheets, _metadata(
        DocumentType.DECLARATION,
        issue_date=ctx.issued.isoformat(),
        citizen_ids=[person.citizen_id],
        phones=[person.phone],
        names=[person.name.upper(), child.upper(), mother.name.upper(), father.name.upper()],
        birth_dates=[child_birth.isoformat()],
        signer=person.name,
    )


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


def _body_values(ctx: _Context) -> dict[str, Any]:
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


def _filler(rng: random.Random, agency: _Agency, count: int) -> list[str]:
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


def _recipients(agency: _Agency) -> list[Line]:
    return [
        ("Nơi nhận:", _Style("serif-bold", pt(11))),
        ("- Như Điều 3;", _Style("serif", pt(10.5))),
        (f"- {agency.short};", _Style("serif", pt(10.5))),
        ("- Lưu: VT.", _Style("serif", pt(10.5))),
    ]


def _signing_titles(agency: _Agency, rng: random.Random) -> list[Line]:
    titles: list[Line] = []
    if agency.collective:
        titles.append((agency.collective, BOLD))
    if rng.random() < 0.5:
        titles += [(f"KT. {agency.head}", BOLD), (f"PHÓ {agency.head}", BOLD)]
    else:
        titles.append((agency.head, BOLD))
    return titles


def _render_decision(ctx: _Context) -> tuple[_Sheets, dict[str, Any]]:
    rng, agency = ctx.rng, ctx.agency
    symbol = _number_symbol(rng, "QĐ", agency, ctx.issued.year)
    sheets = _Sheets()
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
    signer = _person_name(rng, rng.random() < 0.6)
    sheets.signature(_signing_titles(agency, rng), signer, _recipients(agency), rng)
    mentions_id = "{cid}" in article
    return sheets, _metadata(
        DocumentType.DECISION,
        number_symbol=symbol,
        issue_date=ctx.issued.isoformat(),
        agency=" ".join(agency.header),
        citizen_ids=[ctx.person.citizen_id] if mentions_id else [],
        birth_dates=[ctx.person.birth.isoformat()] if "{birth}" in article else [],
        signer=signer,
    )


def _render_letter_or_report(ctx: _Context, report: bool) -> tuple[_Sheets, dict[str, Any]]:
    rng, agency = ctx.rng, ctx.agency
    symbol = _number_symbol(rng, "BC" if report else "", agency, ctx.issued.year)
    sheets = _Sheets()
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
    signer = _person_name(rng, rng.random() < 0.6)
    recipients = _recipients(agency)
    recipients[1] = ("- Như trên;", recipients[1][1])
    sheets.signature(_signing_titles(agency, rng), signer, recipients, rng)
    return sheets, _metadata(
        DocumentType.REPORT if report else DocumentType.OFFICIAL_LETTER,
        number_symbol=symbol,
        issue_date=ctx.issued.isoformat(),
        agency=" ".join(agency.header),
        phones=[ctx.person.phone],
        signer=signer,
    )


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


def _render_business_registration(ctx: _Context) -> tuple[_Sheets, dict[str, Any]]:
    rng, person, province = ctx.rng, ctx.person, ctx.province
    branch = rng.random() < 0.25
    parent_code = _tax_code(rng, province)
    code = f"{parent_code}-{rng.randint(1, 30):03d}" if branch else parent_code
    trade = " ".join(rng.sample(_COMPANY_WORDS, 2))
    company = f"CÔNG TY TNHH {trade} {rng.choice(_COMPANY_NAMES)}"
    header = ("SỞ KẾ HOẠCH VÀ ĐẦU TƯ", province.title.upper(), "PHÒNG ĐĂNG KÝ KINH DOANH")
    sheets = _Sheets()
    left = [(header[0], HEADER), (header[1], HEADER), (header[2], HEADER_BOLD)]
    sheets.columns(left, [(MOTTO[0], HEADER_BOLD), (MOTTO[1], HEADER_BOLD)])
    sheets.space(pt(16))
    first = _random_date(rng, date(2008, 1, 1), ctx.issued - timedelta(days=30))
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
        f"Điện thoại: {phone}" if phone else f"Điện thoại: 0{rng.randint(20, 29)}{_digits(rng, 8)}"
    )
    rows = [
        ("1. Tên " + ("chi nhánh" if branch else "công ty"), BOLD),
        (f"Tên viết bằng tiếng Việt: {company}" + (" - CHI NHÁNH SỐ 1" if branch else ""), BODY),
        (f"Tên viết tắt: {rng.choice(_COMPANY_NAMES)} CO., LTD", BODY),
        ("2. Địa chỉ trụ sở chính", BOLD),
        (_address(rng, province) + ", Việt Nam", BODY),
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
        (f"Ngày cấp: {date_digits(person.id_issued)}    Nơi cấp: {_POLICE_ID_AUTHORITY}", BODY),
        (f"Địa chỉ thường trú: {person.address}", BODY),
    ]
    for text, style in rows:
        sheets.paragraph(text, style, indent=0)
    sheets.space(pt(16))
    signer = _person_name(rng, rng.random() < 0.5)
    sheets.signature([("TRƯỞNG PHÒNG", BOLD)], signer, rng=rng)
    return sheets, _metadata(
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


def _card_expiry(person: _Person) -> str:
    """Cards are renewed at 25, 40 and 60 (or at the next age when issued
    within two years of one); after 60 they never expire."""
    age = person.id_issued.year - person.birth.year
    for milestone in (25, 40, 60):
        if age < milestone - 2:
            birthday = person.birth.replace(day=min(person.birth.day, 28))
            return date_digits(birthday.replace(year=birthday.year + milestone))
    return "Không thời hạn"


def _render_citizen_id_card(ctx: _Context) -> tuple[_Sheets, dict[str, Any]]:
    """The front of a chip-based citizen ID card, scanned at 300 DPI."""
    person = ctx.person
    sheets = _Sheets(CARD, margins=(22, 24, 10, 250), background=240)
    draw = sheets.draw
    draw.rounded_rectangle((2, 2, CARD[0] - 3, CARD[1] - 3), radius=36, outline=150, width=3)
    draw.ellipse((60, 30, 190, 160), outline=120, width=5)  # the emblem
    draw.rectangle((40, 200, 215, 430), fill=200, outline=120, width=2)  # the photo
    draw.ellipse((95, 230, 160, 300), fill=150)
    draw.chord((65, 310, 190, 470), 180, 360, fill=150)
    small, field_style = _Style("sans-bold", 21), _Style("sans", 23)
    for text in (*MOTTO, *MOTTO_EN):
        sheets.line(text, small if text.isupper() else _Style("sans", 19), align="center")
    sheets.line("CĂN CƯỚC CÔNG DÂN", _Style("sans-bold", 36), align="center")
    sheets.line("Citizen Identity Card", _Style("sans", 21), align="center")
    sheets.line(f"Số / No.: {person.citizen_id}", _Style("sans-bold", 31))
    sheets.line("Họ và tên / Full name:", field_style)
    sheets.line(person.name.upper(), _Style("sans-bold", 28))
    sex = "Nam" if person.male else "Nữ"
    sheets.line(f"Ngày sinh / Date of birth: {date_digits(person.birth)}", field_style)
    sheets.line(f"Giới tính / Sex: {sex}    Quốc tịch / Nationality: Việt Nam", field_style)
    sheets.paragraph(f"Quê quán / Place of origin: {person.origin}", field_style, indent=0)
    sheets.paragraph(
        f"Nơi thường trú / Place of residence: {person.address}", field_style, indent=0
    )
    sheets.put(f"Có giá trị đến: {_card_expiry(person)}", _Style("sans", 17), x0=30, y=CARD[1] - 40)
    return sheets, _metadata(
        DocumentType.CITIZEN_ID_CARD,
        citizen_ids=[person.citizen_id],
        names=[person.name.upper()],
        birth_dates=[person.birth.isoformat()],
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


def _render_receipt(ctx: _Context) -> tuple[_Sheets, dict[str, Any]]:
    """A one-stop receipt with its dossier code printed and in a QR code."""
    rng, person, agency = ctx.rng, ctx.person, ctx.agency
    code = _dossier_code(rng, ctx.province, ctx.issued)
    procedure, papers = rng.choice(_PROCEDURES)
    due = ctx.issued + timedelta(days=rng.randint(3, 20))
    sheets = _Sheets()
    header = (agency.short.upper(), "BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ")
    left = [(header[0], HEADER), (header[1], HEADER_BOLD)]
    sheets.columns(left, [(MOTTO[0], HEADER_BOLD), (MOTTO[1], HEADER_BOLD)])
    sheets.line(f"{agency.place}, {date_words(ctx.issued)}", ITALIC, align="right")
    sheets.space(pt(16))
    title = rng.choice(("GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ", "BIÊN NHẬN HỒ SƠ"))
    sheets.line(title, TITLE, align="center")
    sheets.space(pt(10))
    qr = _qr_image(code)
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
    clerk = _person_name(rng, rng.random() < 0.4)
    left_block: list[Line] = [("NGƯỜI NỘP HỒ SƠ", BOLD), ("(Ký và ghi rõ họ tên)", ITALIC)]
    titles = [("NGƯỜI TIẾP NHẬN HỒ SƠ", BOLD), ("(Ký và ghi rõ họ tên)", ITALIC)]
    sheets.signature(titles, clerk, left_block, rng)
    return sheets, _metadata(
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


_KIND_PROCEDURES = {
    "application": "Giải quyết đơn đề nghị của công dân",
    "declaration": "Đăng ký khai sinh",
    "decision": "Lưu trữ quyết định hành chính",
    "official_letter": "Lưu trữ văn bản đến",
    "report": "Lưu trữ báo cáo",
    "business_registration": "Đăng ký doanh nghiệp",
    "citizen_id_card": "Sao lưu giấy tờ tùy thân",
    "receipt": "Tiếp nhận hồ sơ một cửa",
}
_RENDERERS: dict[str, Callable[[_Context], tuple[_Sheets, dict[str, Any]]]] = {
    "application": _render_application,
    "declaration": _render_declaration,
    "decision": _render_decision,
    "official_letter": lambda ctx: _render_letter_or_report(ctx, report=False),
    "report": lambda ctx: _render_letter_or_report(ctx, report=True),
    "business_registration": _render_business_registration,
    "citizen_id_card": _render_citizen_id_card,
    "receipt": _render_receipt,
}
_AGENCY_LEVELS = {
    "decision": ("province", "district", "ward", "department"),
    "application": ("district", "ward"),
    "declaration": ("district", "ward"),
    "citizen_id_card": ("police",),
    "receipt": ("district", "ward", "department"),
}


def render_document(kind: str, rng: random.Random) -> SampleDocument:
    """Draw one document of ``kind`` (one of KINDS) with random, seeded content."""
    if kind not in _RENDERERS:
        raise ValueError(f"unknown sample kind {kind!r}; choose one of {', '.join(KINDS)}")
    levels = _AGENCY_LEVELS.get(kind)
    ctx = _context(rng, rng.choice(levels) if levels else None)
    sheets, metadata = _RENDERERS[kind](ctx)
    metadata.setdefault("unit", ctx.agency.short)
    metadata.setdefault("procedure", _KIND_PROCEDURES[kind])
    pages = tuple("\n".join(lines) for lines in sheets.lines)
    for image in sheets.images:
        image.info["dpi"] = (DPI, DPI)
    return SampleDocument(kind, sheets.images, GroundTruth(kind, pages, metadata))


# ----------------------------------------------------------------------------
# Scanner distortions


def distort(
    image: Image.Image,
    rng: random.Random,
    *,
    skew_degrees: float = 0.0,
    rotate: int = 0,
    noise: float = 0.0,
    blur: float = 0.0,
    jpeg_quality: int | None = None,
) -> Image.Image:
    """What a scanner does to a sheet.

    Args:
        skew_degrees: turn clockwise by this small angle (negative: counter-clockwise),
            on a larger white canvas, as a sheet laid crooked on the glass.
        rotate: 0, 90, 180 or 270: the sheet was fed turned clockwise by this much.
        noise: standard deviation of Gaussian sensor noise, in gray levels, plus dust.
        blur: Gaussian blur radius in pixels.
        jpeg_quality: compress as JPEG at this quality and decode again.

    Returns:
        A new image; ``image.info["distortions"]`` records what was applied.
    """
    if rotate not in (0, 90, 180, 270):
        raise ValueError("rotate must be 0, 90, 180 or 270")
    out = image.convert("L") if image.mode not in ("L", "RGB") else image.copy()
    fill = WHITE if out.mode == "L" else (WHITE, WHITE, WHITE)
    if skew_degrees:
        out = out.rotate(
            -skew_degrees, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=fill
        )
    if rotate:
        out = out.rotate(-rotate, expand=True)  # quarter turns are exact, nothing to fill
    if noise > 0:
        generator = np.random.default_rng(rng.getrandbits(32))
        pixels = np.asarray(out, dtype=np.float32)
        grain = generator.standard_normal(pixels.shape[:2], dtype=np.float32) * np.float32(noise)
        pixels += grain.reshape(pixels.shape[:2] + (1,) * (pixels.ndim - 2))
        dust = generator.random(pixels.shape[:2]) < 0.0003
        pixels[dust] = 40.0
        out = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    if blur > 0:
        out = out.filter(ImageFilter.GaussianBlur(blur))
    if jpeg_quality is not None:
        buffer = io.BytesIO()
        out.save(buffer, format="JPEG", quality=jpeg_quality)
        out = Image.open(io.BytesIO(buffer.getvalue()))
        out.load()
    out.info["dpi"] = (DPI, DPI)
    out.info["distortions"] = {
        "skew_degrees": skew_degrees,
        "rotate": rotate,
        "noise": noise,
        "blur": blur,
        "jpeg_quality": jpeg_quality,
    }
    return out


def random_distortion(rng: random.Random, file_format: str = "png") -> dict[str, Any]:
    """Keyword arguments for ``distort``: what an ordinary office scanner does."""
    return {
        "skew_degrees": round(rng.uniform(-3.0, 3.0), 2) if rng.random() < 0.5 else 0.0,
        "rotate": rng.choice((90, 180, 270)) if rng.random() < 0.15 else 0,
        "noise": round(rng.uniform(4.0, 12.0), 1),
        "blur": round(rng.uniform(0.0, 0.8), 2),
        "jpeg_quality": rng.randint(70, 92) if file_format == "jpeg" else None,
    }


# ----------------------------------------------------------------------------
# OCR-like text noise


_TONE_MARKS = ("\u0300", "\u0301", "\u0303", "\u0309", "\u0323")
_DIGIT_LOOKALIKES = {"0": "OO", "1": "lI"}


def _strip_marks(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", word.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _wrong_tone(word: str, rng: random.Random) -> str:
    decomposed = unicodedata.normalize("NFD", word)
    positions = [i for i, c in enumerate(decomposed) if c in _TONE_MARKS]
    if not positions:
        return word
    i = rng.choice(positions)
    end = i + 1  # the new mark goes after the letter's other marks, so NFC composes it
    while end < len(decomposed) and unicodedata.combining(decomposed[end]):
        end += 1
    swapped = decomposed[:i] + decomposed[i + 1 : end] + rng.choice(_TONE_MARKS) + decomposed[end:]
    return unicodedata.normalize("NFC", swapped)


def _noisy_word(word: str, rng: random.Random, rate: float) -> str:
    if word.rstrip(":") == "Số" and rng.random() < 0.3 * rate:
        return rng.choice(("S6", "Sô", "So", "Sỗ")) + word[2:]
    roll = rng.random()
    if roll < 0.06 * rate:
        word = _strip_marks(word)
    elif roll < 0.10 * rate:
        word = _wrong_tone(word, rng)
    chars = list(word)
    for i, c in enumerate(chars):
        if c in _DIGIT_LOOKALIKES and rng.random() < 0.03 * rate:
            chars[i] = rng.choice(_DIGIT_LOOKALIKES[c])
        elif c in "/-" and any(ch.isdigit() for ch in word) and rng.random() < 0.08 * rate:
            chars[i] = f" {c} " if rng.random() < 0.5 else f"{c} "
        elif c == "m" and rng.random() < 0.02 * rate:
            chars[i] = "rn"
    return "".join(chars)


def ocr_noise(text: str, rng: random.Random, rate: float = 1.0) -> str:
    """Degrade text as OCR does: lost or wrong diacritics, 'S6:' for 'Số:',
    O for 0 and l or I for 1, spaces around '/' and '-', 'rn' for 'm',
    dropped colons and, rarely, two lines read as one (side-by-side columns).

    ``rate`` scales every probability; 1.0 is a mediocre scan."""
    out_lines: list[str] = []
    for line in text.split("\n"):
        words = [_noisy_word(w, rng, rate) for w in line.split(" ")]
        noisy = " ".join(words)
        if ":" in noisy and rng.random() < 0.03 * rate:
            noisy = noisy.replace(":", "", 1)
        if out_lines and rng.random() < 0.03 * rate:
            out_lines[-1] += "  " + noisy
        else:
            out_lines.append(noisy)
    return "\n".join(out_lines)


# ----------------------------------------------------------------------------
# Writing batches


@dataclass(frozen=True)
class _Plan:
    kind: str
    file_format: str
    distortion: dict[str, Any] = field(default_factory=dict)


def _save(pages: Sequence[Image.Image], path: Path, file_format: str) -> None:
    if file_format == "pdf":
        encoded = []
        for page in pages:
            buffer = io.BytesIO()
            kind = "JPEG" if page.info.get("distortions", {}).get("jpeg_quality") else "PNG"
            page.save(buffer, format=kind, dpi=(DPI, DPI), quality=90, compress_level=3)
            encoded.append(buffer.getvalue())
        path.write_bytes(img2pdf.convert(encoded))
    elif file_format == "tiff":
        pages[0].save(
            path,
            format="TIFF",
            save_all=True,
            append_images=list(pages[1:]),
            compression="tiff_deflate",
            dpi=(DPI, DPI),
        )
    elif file_format == "jpeg":
        quality = pages[0].info.get("distortions", {}).get("jpeg_quality") or 88
        pages[0].save(path, format="JPEG", quality=quality, dpi=(DPI, DPI))
    elif file_format == "png":
        pages[0].save(path, format="PNG", dpi=(DPI, DPI), compress_level=3)
    else:
        raise ValueError(f"unknown format {file_format!r}; choose one of {', '.join(FORMATS)}")


def _render_for(plan: _Plan, rng: random.Random) -> SampleDocument:
    """Render; a one-page format (JPEG, PNG) gets a document that fits on one
    page: of the planned kind when a few tries give one, else of the next kind."""
    start = KINDS.index(plan.kind)
    for kind in KINDS[start:] + KINDS[:start]:
        for _ in range(4):
            doc = render_document(kind, rng)
            if len(doc.pages) == 1 or plan.file_format in MULTIPAGE_FORMATS:
                return doc
    raise RuntimeError("no sample kind fits on one page")  # pragma: no cover


def _manifest_row(name: str, doc: SampleDocument, rng: random.Random) -> dict[str, str]:
    meta = doc.truth.metadata
    code = meta.get("dossier_code") or _dossier_code(
        rng, rng.choice(_PROVINCES), date.fromisoformat(meta.get("issue_date") or "2024-01-02")
    )
    return {
        "file": name,
        "dossier_code": code,
        "procedure": meta["procedure"],
        "unit": meta["unit"],
        "operator": f"canbo{rng.randint(1, 12):02d}",
    }


def _write_plans(
    out_dir: Path, plans: Sequence[_Plan], rng: random.Random, manifest: bool, ready: bool
) -> BatchTruth:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "READY").unlink(missing_ok=True)
    documents: dict[str, GroundTruth] = {}
    rows = []
    for index, plan in enumerate(plans, start=1):
        doc = _render_for(plan, rng)
        pages = [distort(p, rng, **plan.distortion) if plan.distortion else p for p in doc.pages]
        name = f"hoso-{index:03d}.{_EXTENSIONS[plan.file_format]}"
        _save(pages, out_dir / name, plan.file_format)
        row = _manifest_row(name, doc, rng) if manifest else None
        if row:
            rows.append(row)
        documents[name] = GroundTruth(
            kind=doc.kind,
            pages=doc.truth.pages,
            metadata=doc.truth.metadata,
            distortions=tuple(p.info.get("distortions", {}) for p in pages),
            file_format=plan.file_format,
            manifest=row,
        )
    if manifest:
        with (out_dir / "manifest.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]) if rows else ["file"])
            writer.writeheader()
            writer.writerows(rows)
    truth_path = out_dir.parent / f"{out_dir.name}.truth.json"
    payload = {name: truth.to_json() for name, truth in documents.items()}
    truth_path.write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")
    if ready:
        (out_dir / "READY").touch()
    return BatchTruth(out_dir, truth_path, documents)


def write_batch(
    out_dir: Path,
    count: int,
    seed: int,
    formats: Sequence[str] = FORMATS,
    distortions: bool = False,
    manifest: bool = False,
    ready: bool = True,
) -> BatchTruth:
    """Write ``count`` generated dossiers (one file each) into ``out_dir``.

    Kinds cycle through KINDS in a seeded order and formats through ``formats``;
    documents longer than a page only go to PDF or TIFF. The truth goes to
    ``<out_dir>.truth.json`` beside the folder, a ``manifest.csv`` is written on
    request and ``READY`` last, when ``ready``. The same seed writes the same
    files, byte for byte.
    """
    unknown = set(formats) - set(FORMATS)
    if unknown or not formats:
        raise ValueError(f"formats must be among {', '.join(FORMATS)}; got {list(formats)}")
    rng = random.Random(seed)
    kinds = list(KINDS)
    rng.shuffle(kinds)
    planned = [(kinds[i % len(kinds)], formats[i % len(formats)]) for i in range(count)]
    # Long kinds go where a format holds several pages, short ones make room.
    for i, (kind, file_format) in enumerate(planned):
        if kind in _USUALLY_LONG and file_format not in MULTIPAGE_FORMATS:
            for j, (other, other_format) in enumerate(planned):
                if other not in _USUALLY_LONG and other_format in MULTIPAGE_FORMATS:
                    planned[i], planned[j] = (other, file_format), (kind, other_format)
                    break
    plans = [
        _Plan(kind, file_format, random_distortion(rng, file_format) if distortions else {})
        for kind, file_format in planned
    ]
    return _write_plans(out_dir, plans, rng, manifest, ready)


def generate_demo_inbox(inbox: Path, seed: int = 7) -> Path:
    """Create ``inbox/demo-batch-001/``: six dossiers covering every format and
    the main kinds, one skewed 4 degrees, one turned 90 degrees, one JPEG,
    with a manifest and READY. Returns the batch folder."""
    plans = [
        _Plan("receipt", "pdf"),
        _Plan("decision", "pdf", {"skew_degrees": 4.0, "noise": 6.0}),
        _Plan("application", "jpeg", {"noise": 5.0, "jpeg_quality": 85}),
        _Plan("business_registration", "tiff"),
        _Plan("citizen_id_card", "png", {"rotate": 90}),
        _Plan("report", "tiff", {"skew_degrees": -1.5}),
    ]
    return _write_plans(
        inbox / "demo-batch-001", plans, random.Random(seed), manifest=True, ready=True
    ).batch_dir


# ----------------------------------------------------------------------------
# Scoring an extractor against the truth

# The fields whose precision and recall sohoa promises (>= 0.95).
SCORED_FIELDS = ("number_symbol", "issue_date", "citizen_id", "tax_code", "dossier_code")
REPORTED_FIELDS = (*SCORED_FIELDS, "phone", "old_id", "birth_date", "person_name", "agency")
# Compared without case, accents or extra spaces, as search compares them.
_LOOSE_FIELDS = ("person_name", "agency")


@dataclass
class FieldScore:
    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        expected = self.true_positives + self.false_negatives
        return self.true_positives / expected if expected else 1.0


@dataclass
class ExtractionScores:
    """Precision and recall per field, and document-type accuracy, over many
    documents. Every value found counts: a wrong extra value is a false positive."""

    fields: dict[str, FieldScore] = field(
        default_factory=lambda: {name: FieldScore() for name in REPORTED_FIELDS}
    )
    documents: int = 0
    types_right: int = 0
    misses: list[str] = field(default_factory=list)

    def add(self, name: str, truth: GroundTruth, document_type: str, found: dict[str, Any]) -> None:
        """``found`` maps field names to sequences of objects with a ``value``."""
        self.documents += 1
        self.types_right += document_type == truth.metadata["document_type"]
        if document_type != truth.metadata["document_type"]:
            self.misses.append(f"{name}: type {document_type}, expected {truth.kind}")
        for field_name, score in self.fields.items():
            loose = field_name in _LOOSE_FIELDS
            key = (lambda v: " ".join(fold(v).split())) if loose else (lambda v: v)
            expected = {key(v) for v in truth.expected(field_name)}
            got = {key(v.value) for v in found.get(field_name, ())}
            score.true_positives += len(expected & got)
            score.false_positives += len(got - expected)
            score.false_negatives += len(expected - got)
            if expected != got:
                self.misses.append(
                    f"{name}: {field_name} expected {sorted(expected)} got {sorted(got)}"
                )

    def table(self) -> str:
        rows = [f"{'field':<15}{'precision':>10}{'recall':>8}{'TP':>6}{'FP':>5}{'FN':>5}"]
        for name, s in self.fields.items():
            rows.append(
                f"{name:<15}{s.precision:>10.3f}{s.recall:>8.3f}"
                f"{s.true_positives:>6}{s.false_positives:>5}{s.false_negatives:>5}"
            )
        accuracy = self.types_right / self.documents if self.documents else 0.0
        rows.append(f"document_type accuracy {accuracy:.3f} over {self.documents} documents")
        return "\n".join(rows)
