"""Who and what a generated document names: people with their ID numbers,
places, agencies, and how Vietnamese documents print dates and numbers.

``new_context`` draws everything random about one document from the rng."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

MOTTO = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")
MOTTO_EN = ("SOCIALIST REPUBLIC OF VIET NAM", "Independence - Freedom - Happiness")
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
class District:
    """A district and some of its wards."""

    kind: str  # quận, huyện, thị xã, thành phố
    name: str
    wards: tuple[str, ...]  # "phường Dịch Vọng", "xã Bát Tràng"


@dataclass(frozen=True)
class Province:
    """A province with the codes its documents carry."""

    kind: str  # tỉnh or thành phố
    name: str
    id_code: str  # first three digits of a citizen ID registered here
    tax_prefix: str
    portal_code: str  # agency code used in one-stop dossier codes
    districts: tuple[District, ...]

    @property
    def title(self) -> str:
        return f"{self.kind} {self.name}"


PROVINCES = (
    Province("thành phố", "Hà Nội", "001", "01", "H26", (
        District("quận", "Cầu Giấy", ("phường Dịch Vọng", "phường Nghĩa Đô", "phường Yên Hòa")),
        District("quận", "Hoàn Kiếm", ("phường Hàng Bài", "phường Tràng Tiền", "phường Hàng Đào")),
        District("huyện", "Gia Lâm", ("xã Bát Tràng", "thị trấn Trâu Quỳ", "xã Đa Tốn")),
    )),
    Province("thành phố", "Hồ Chí Minh", "079", "03", "H29", (
        District("quận", "Bình Thạnh", ("phường 25", "phường 17", "phường 1")),
        District("thành phố", "Thủ Đức", ("phường Linh Trung", "phường An Phú")),
        District("huyện", "Củ Chi", ("xã Tân Thông Hội", "thị trấn Củ Chi", "xã Phước Thạnh")),
    )),
    Province("tỉnh", "Bắc Ninh", "027", "23", "H10", (
        District("thành phố", "Bắc Ninh", ("phường Suối Hoa", "phường Vệ An", "phường Đại Phúc")),
        District("huyện", "Tiên Du", ("xã Phật Tích", "thị trấn Lim", "xã Việt Đoàn")),
    )),
    Province("thành phố", "Đà Nẵng", "048", "04", "H17", (
        District("quận", "Hải Châu", ("phường Thạch Thang", "phường Hòa Thuận Đông")),
        District("huyện", "Hòa Vang", ("xã Hòa Tiến", "xã Hòa Phong")),
    )),
    Province("tỉnh", "Thanh Hóa", "038", "28", "H56", (
        District("thành phố", "Sầm Sơn", ("phường Trường Sơn", "phường Quảng Tiến")),
        District("huyện", "Hoằng Hóa", ("xã Hoằng Đạo", "thị trấn Bút Sơn")),
    )),
    Province("tỉnh", "Khánh Hòa", "056", "42", "H34", (
        District("thành phố", "Nha Trang", ("phường Lộc Thọ", "phường Vĩnh Hải")),
        District("huyện", "Diên Khánh", ("xã Diên An", "thị trấn Diên Khánh")),
    )),
    Province("tỉnh", "Lâm Đồng", "068", "58", "H39", (
        District("thành phố", "Đà Lạt", ("phường 1", "phường 8", "phường 10")),
        District("huyện", "Đức Trọng", ("thị trấn Liên Nghĩa", "xã Hiệp Thạnh")),
    )),
    Province("thành phố", "Cần Thơ", "092", "18", "H13", (
        District("quận", "Ninh Kiều", ("phường An Hòa", "phường Tân An", "phường Xuân Khánh")),
        District("huyện", "Phong Điền", ("xã Nhơn Ái", "thị trấn Phong Điền")),
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
POLICE_ID_AUTHORITY = "Cục Cảnh sát quản lý hành chính về trật tự xã hội"


@dataclass(frozen=True)
class Agency:
    """An issuing agency as its documents print it."""

    header: tuple[str, ...]  # the upper-left block, as printed
    name: str  # in running text: "Ủy ban nhân dân huyện Gia Lâm"
    code: str  # its part of a symbol: UBND, SCT, CAT-PC06
    unit: str  # a sub-unit for official letters' symbols
    place: str  # printed before the date
    head: str  # CHỦ TỊCH, GIÁM ĐỐC, ...
    collective: str  # "TM. ỦY BAN NHÂN DÂN" or ""
    short: str  # for manifests: "UBND huyện Gia Lâm"


@dataclass(frozen=True)
class Person:
    """A citizen with the numbers and places their papers show."""

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
    family: str = rng.choices(names, weights)[0]
    return family


def random_name(rng: random.Random, male: bool, family: str | None = None) -> str:
    """A full name, family name first, drawn with the national frequencies."""
    middle = rng.choice(_MIDDLE_MALE if male else _MIDDLE_FEMALE)
    given = rng.choice(_GIVEN_MALE if male else _GIVEN_FEMALE)
    parts = [family or _pick_family(rng), middle]
    if rng.random() < 0.25:
        extra = rng.choice(_MIDDLE_MALE[2:] if male else _MIDDLE_FEMALE[1:])
        if extra != middle:
            parts.append(extra)
    return " ".join([*parts, given])


def random_digits(rng: random.Random, count: int) -> str:
    """``count`` random decimal digits."""
    return "".join(rng.choice("0123456789") for _ in range(count))


def _citizen_id(rng: random.Random, province: Province, male: bool, birth: date) -> str:
    """Province of birth registration, sex and century, year of birth, serial."""
    sex_century = (0 if birth.year < 2000 else 2) + (0 if male else 1)
    return f"{province.id_code}{sex_century}{birth.year % 100:02d}{random_digits(rng, 6)}"


def random_tax_code(rng: random.Random, province: Province) -> str:
    """A 10-digit enterprise tax code with its check digit."""
    while True:
        body = province.tax_prefix + random_digits(rng, 7)
        weights = (31, 29, 23, 19, 17, 13, 7, 5, 3)
        check = 10 - sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11
        if check < 10:
            return body + str(check)


def random_date(rng: random.Random, start: date, end: date) -> date:
    """A day from ``start`` to ``end``, both included."""
    return start + timedelta(days=rng.randint(0, (end - start).days))


def random_address(rng: random.Random, province: Province) -> str:
    """A street address in ``province``."""
    district = rng.choice(province.districts)
    ward = rng.choice(district.wards)
    house = f"Số {rng.randint(1, 199)}"
    if rng.random() < 0.4:
        house += f", ngõ {rng.randint(2, 120)}"
    return (
        f"{house}, {rng.choice(_STREETS)}, {ward}, {district.kind} {district.name}, "
        f"{province.title}"
    )


def random_person(rng: random.Random, province: Province, male: bool | None = None) -> Person:
    """A citizen registered in ``province``, of either sex unless ``male`` is given."""
    male = rng.random() < 0.5 if male is None else male
    birth = random_date(rng, date(1955, 1, 1), date(2004, 12, 31))
    return Person(
        name=random_name(rng, male),
        male=male,
        birth=birth,
        citizen_id=_citizen_id(rng, province, male, birth),
        id_issued=random_date(rng, date(2016, 1, 1), date(2022, 12, 31)),
        old_id=random_digits(rng, 9) if rng.random() < 0.3 else "",
        phone="0" + rng.choice("35789") + random_digits(rng, 8),
        address=random_address(rng, province),
        origin=f"{rng.choice(rng.choice(province.districts).wards)}, {province.title}",
    )


def random_agency(rng: random.Random, province: Province, level: str | None = None) -> Agency:
    """An agency of ``province`` at ``level`` (province, district, ward, department,
    police), or at a random level."""
    level = level or rng.choice(("province", "district", "ward", "department", "police"))
    district = rng.choice(province.districts)
    province_upper = province.title.upper()
    if level == "province":
        return Agency(
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
        return Agency(
            header, f"Ủy ban nhân dân {unit}", "UBND", rng.choice(("VP", "TCKH", "QLĐT")),
            place, "CHỦ TỊCH", "TM. ỦY BAN NHÂN DÂN", f"UBND {unit}",
        )  # fmt: skip
    if level == "department":
        upper, code, name, unit = rng.choice(_DEPARTMENTS)
        parent = "UBND " + province_upper
        return Agency(
            (parent, upper), f"{name} {province.title}", code, unit, province.name,
            "GIÁM ĐỐC", "", f"{name} {province.name}",
        )  # fmt: skip
    return Agency(
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
    """'05/01/2023'."""
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


def random_number_symbol(rng: random.Random, doc_code: str, agency: Agency, year: int) -> str:
    """A number/symbol such as '125/QĐ-UBND'; ``doc_code`` '' is an official letter's."""
    number = str(rng.randint(1, 3500))
    if rng.random() < 0.15:
        number = f"{rng.randint(1, 99):02d}"
    if doc_code == "":  # official letter: agency, then its unit
        return f"{number}/{agency.code}" + (f"-{agency.unit}" if agency.unit else "")
    if doc_code == "QĐ" and rng.random() < 0.15:
        return f"{number}/{year}/QĐ-{agency.code}"
    return f"{number}/{doc_code}-{agency.code}"


def random_dossier_code(rng: random.Random, province: Province, received: date) -> str:
    """A one-stop dossier code: office, date received, serial."""
    office = f"000.{rng.randint(0, 99):02d}.{rng.randint(1, 40):02d}.{province.portal_code}"
    return f"{office}-{received:%y%m%d}-{rng.randint(1, 9999):04d}"


@dataclass
class Context:
    """Everything random about one document, drawn once from the rng."""

    rng: random.Random
    province: Province
    issued: date
    person: Person
    agency: Agency


def new_context(rng: random.Random, level: str | None = None) -> Context:
    """Everything random about one document, its agency at ``level`` when given."""
    province = rng.choice(PROVINCES)
    return Context(
        rng=rng,
        province=province,
        issued=random_date(rng, date(2019, 1, 1), date(2025, 6, 30)),
        person=random_person(rng, province),
        agency=random_agency(rng, province, level),
    )
