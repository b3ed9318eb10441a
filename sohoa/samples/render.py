"""``render_document``: one generated document of a kind, with its ground truth."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from sohoa.samples.certificates import render_business_registration, render_citizen_id_card
from sohoa.samples.drawing import DPI, Sheets
from sohoa.samples.forms import render_application, render_declaration, render_receipt
from sohoa.samples.official import render_decision, render_letter_or_report
from sohoa.samples.people import Context, new_context
from sohoa.samples.truth import GroundTruth, SampleDocument

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
_RENDERERS: dict[str, Callable[[Context], tuple[Sheets, dict[str, Any]]]] = {
    "application": render_application,
    "declaration": render_declaration,
    "decision": render_decision,
    "official_letter": lambda ctx: render_letter_or_report(ctx, report=False),
    "report": lambda ctx: render_letter_or_report(ctx, report=True),
    "business_registration": render_business_registration,
    "citizen_id_card": render_citizen_id_card,
    "receipt": render_receipt,
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
    ctx = new_context(rng, rng.choice(levels) if levels else None)
    sheets, metadata = _RENDERERS[kind](ctx)
    metadata.setdefault("unit", ctx.agency.short)
    metadata.setdefault("procedure", _KIND_PROCEDURES[kind])
    pages = tuple("\n".join(lines) for lines in sheets.lines)
    for image in sheets.images:
        image.info["dpi"] = (DPI, DPI)
    return SampleDocument(kind, sheets.images, GroundTruth(kind, pages, metadata))
