"""What makes a searchable PDF a PDF/A-2b archival file, besides its pages.

``write_pdfa_base`` writes a small PDF whose catalog and trailer carry
everything PDF/A-2b asks of a document as a whole: the sRGB output intent
(``sRGB2014.icc``, the International Color Consortium's profile, freely
redistributable: see ``sRGB2014.icc.LICENSE``), the language (/Lang ``vi``),
XMP metadata and a document information dictionary that says the same. qpdf
then joins the page PDFs into it (``pipeline/qpdf.py:join_pages``), so the
pages stream from their files and the base's catalog stays.

The XMP holds Dublin Core (title, type, identifier, dates, language, format,
relations to the dossier and to the original files) and the record's own
metadata in the ``sohoa`` schema, which PDF/A requires to be described in the
file itself (the ``pdfaExtension`` block).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from importlib.metadata import version
from pathlib import Path
from xml.sax.saxutils import escape

import pikepdf

SRGB_PROFILE = Path(__file__).with_name("sRGB2014.icc")
SOHOA_NS = "https://sohoa.vn/ns/record/1.0/"
PRODUCER = f"sohoa {version('sohoa')}"
LANGUAGE = "vi"
# How XMP's Dublin Core schema holds each element ("": a simple value).
_DC_XMP_CONTAINERS = {
    "title": "Alt",
    "type": "Bag",
    "identifier": "",
    "date": "Seq",
    "language": "Bag",
    "format": "",
    "relation": "Bag",
}
# The sohoa schema's properties: name, XMP value type, description.
_SOHOA_PROPERTIES = (
    ("recordId", "Text", "Record identifier in sohoa (SHA-256 of its original files)"),
    ("dossierCode", "Text", "Dossier code (mã hồ sơ)"),
    ("documentType", "Text", "Document type code from the metadata rules"),
    ("documentTypeLabel", "Text", "Document type, in Vietnamese"),
    ("numberSymbol", "Text", "Number and symbol of the document (số, ký hiệu)"),
    ("issueDate", "Date", "Date the document was issued"),
    ("unit", "Text", "Unit that received the dossier"),
    ("procedure", "Text", "Administrative procedure of the dossier"),
    ("digitizedAt", "Date", "When the record was digitized"),
)


@dataclass(frozen=True, slots=True)
class ArchivalMetadata:
    """What a searchable PDF says about its record; empty strings are left out."""

    record_id: str
    digitized_at: datetime  # timezone-aware
    document_type: str = ""
    document_type_label: str = ""
    number_symbol: str = ""
    issue_date: date | None = None
    dossier_code: str = ""
    unit: str = ""
    procedure: str = ""
    sources: tuple[str, ...] = ()  # the original files' names
    language: str = LANGUAGE

    @property
    def title(self) -> str:
        """E.g. "Quyết định 12/QĐ-UBND, hồ sơ HS-0001"; the record id when nothing is known."""
        what = " ".join(part for part in (self.document_type_label, self.number_symbol) if part)
        dossier = f"hồ sơ {self.dossier_code}" if self.dossier_code else ""
        return ", ".join(part for part in (what, dossier) if part) or f"sohoa {self.record_id}"

    @property
    def relations(self) -> list[str]:
        """Dublin Core relations: the dossier, and the original files it was digitized from."""
        dossier = [f"dossier:{self.dossier_code}"] if self.dossier_code else []
        return dossier + [f"original:{name}" for name in self.sources]

    def dublin_core(self) -> list[tuple[str, list[str]]]:
        """Dublin Core elements and their values, in order; empty ones have no values."""
        return [
            ("title", [self.title]),
            ("type", [self.document_type_label or "Text", "Text"]),
            ("identifier", [self.record_id]),
            ("date", [self.issue_date.isoformat()] if self.issue_date else []),
            ("language", [self.language]),
            ("format", ["application/pdf"]),
            ("relation", self.relations),
        ]

    def properties(self) -> dict[str, str]:
        """The ``sohoa`` schema's values, by property name (empty ones left out)."""
        values = {
            "recordId": self.record_id,
            "dossierCode": self.dossier_code,
            "documentType": self.document_type,
            "documentTypeLabel": self.document_type_label,
            "numberSymbol": self.number_symbol,
            "issueDate": self.issue_date.isoformat() if self.issue_date else "",
            "unit": self.unit,
            "procedure": self.procedure,
            "digitizedAt": _xmp_date(self.digitized_at),
        }
        return {name: value for name, value in values.items() if value}


def write_pdfa_base(metadata: ArchivalMetadata, out_pdf: Path) -> Path:
    """A one-page PDF whose catalog (XMP, output intent, /Lang) and /Info make
    the file qpdf joins pages into PDF/A-2b; its own page is dropped then."""
    with pikepdf.new() as pdf:
        pdf.add_blank_page()
        profile = pikepdf.Stream(pdf, SRGB_PROFILE.read_bytes())
        profile.N = 3
        pdf.Root.OutputIntents = pikepdf.Array(
            [
                pikepdf.Dictionary(
                    Type=pikepdf.Name.OutputIntent,
                    S=pikepdf.Name.GTS_PDFA1,  # the subtype PDF/A-2 uses too
                    OutputConditionIdentifier=pikepdf.String("sRGB IEC61966-2.1"),
                    Info=pikepdf.String("sRGB IEC61966-2.1"),
                    RegistryName=pikepdf.String("http://www.color.org"),
                    DestOutputProfile=pdf.make_indirect(profile),
                )
            ]
        )
        pdf.Root.Lang = pikepdf.String(metadata.language)
        xmp = pikepdf.Stream(pdf, xmp_packet(metadata).encode("utf-8"))
        xmp.Type, xmp.Subtype = pikepdf.Name.Metadata, pikepdf.Name.XML
        pdf.Root.Metadata = pdf.make_indirect(xmp)
        created = _pdf_date(metadata.digitized_at)
        pdf.trailer.Info = pdf.make_indirect(
            pikepdf.Dictionary(
                Title=pikepdf.String(metadata.title),
                Creator=pikepdf.String(PRODUCER),
                Producer=pikepdf.String(PRODUCER),
                CreationDate=pikepdf.String(created),
                ModDate=pikepdf.String(created),
            )
        )
        pdf.save(out_pdf, fix_metadata_version=False, deterministic_id=True)
    return out_pdf


def xmp_packet(metadata: ArchivalMetadata) -> str:
    """The XMP packet: PDF/A identification, Dublin Core, XMP basic, PDF and sohoa properties."""
    when = _xmp_date(metadata.digitized_at)
    dublin_core = [
        _xmp_property(f"dc:{element}", _DC_XMP_CONTAINERS[element], values)
        for element, values in metadata.dublin_core()
    ]
    sohoa = [
        f"<sohoa:{name}>{escape(value)}</sohoa:{name}>"
        for name, value in metadata.properties().items()
    ]
    return "\n".join(
        [
            '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>',
            '<x:xmpmeta xmlns:x="adobe:ns:meta/">',
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">',
            '<rdf:Description rdf:about=""',
            ' xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/"',
            ' xmlns:dc="http://purl.org/dc/elements/1.1/"',
            ' xmlns:xmp="http://ns.adobe.com/xap/1.0/"',
            ' xmlns:pdf="http://ns.adobe.com/pdf/1.3/"',
            f' xmlns:sohoa="{SOHOA_NS}"',
            ' xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/"',
            ' xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#"',
            ' xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">',
            "<pdfaid:part>2</pdfaid:part>",
            "<pdfaid:conformance>B</pdfaid:conformance>",
            *(line for line in dublin_core if line),
            f"<xmp:CreateDate>{when}</xmp:CreateDate>",
            f"<xmp:ModifyDate>{when}</xmp:ModifyDate>",
            f"<xmp:MetadataDate>{when}</xmp:MetadataDate>",
            f"<xmp:CreatorTool>{PRODUCER}</xmp:CreatorTool>",
            f"<pdf:Producer>{PRODUCER}</pdf:Producer>",
            *sohoa,
            _extension_schema(),
            "</rdf:Description>",
            "</rdf:RDF>",
            "</x:xmpmeta>",
            '<?xpacket end="w"?>',
        ]
    )


def _extension_schema() -> str:
    """The description of the ``sohoa`` schema that PDF/A requires for it."""
    properties = "".join(
        '<rdf:li rdf:parseType="Resource">'
        f"<pdfaProperty:name>{name}</pdfaProperty:name>"
        f"<pdfaProperty:valueType>{value_type}</pdfaProperty:valueType>"
        "<pdfaProperty:category>external</pdfaProperty:category>"
        f"<pdfaProperty:description>{escape(description)}</pdfaProperty:description>"
        "</rdf:li>"
        for name, value_type, description in _SOHOA_PROPERTIES
    )
    return (
        '<pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType="Resource">'
        "<pdfaSchema:schema>sohoa record metadata</pdfaSchema:schema>"
        f"<pdfaSchema:namespaceURI>{SOHOA_NS}</pdfaSchema:namespaceURI>"
        "<pdfaSchema:prefix>sohoa</pdfaSchema:prefix>"
        f"<pdfaSchema:property><rdf:Seq>{properties}</rdf:Seq></pdfaSchema:property>"
        "</rdf:li></rdf:Bag></pdfaExtension:schemas>"
    )


def _xmp_property(name: str, container: str, values: Sequence[str]) -> str:
    """A property as XMP's Dublin Core schema types it: a simple value, a
    language alternative, or an rdf:Bag or rdf:Seq; empty when there are no values."""
    if not values:
        return ""
    if not container:
        return f"<{name}>{escape(values[0])}</{name}>"
    language = ' xml:lang="x-default"' if container == "Alt" else ""
    items = "".join(f"<rdf:li{language}>{escape(value)}</rdf:li>" for value in values)
    return f"<{name}><rdf:{container}>{items}</rdf:{container}></{name}>"


def dublin_core_xml(metadata: ArchivalMetadata) -> str:
    """The same Dublin Core as the PDF's XMP, as a simple (OAI-PMH oai_dc) record."""
    elements = [
        f"  <dc:{element}>{escape(value)}</dc:{element}>"
        for element, values in metadata.dublin_core()
        for value in values
    ]
    return "\n".join(
        [
            '<?xml version="1.0" encoding="UTF-8"?>',
            '<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/"'
            ' xmlns:dc="http://purl.org/dc/elements/1.1/">',
            *elements,
            "</oai_dc:dc>",
            "",
        ]
    )


def _xmp_date(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat()


def _pdf_date(moment: datetime) -> str:
    """A PDF date string with the same instant and offset as ``_xmp_date``."""
    offset = moment.strftime("%z") or "+0000"
    return moment.strftime("D:%Y%m%d%H%M%S") + f"{offset[0]}{offset[1:3]}'{offset[3:5]}'"
