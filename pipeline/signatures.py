"""Digital signatures with pyHanko: those in a received PDF checked
(``check_signatures``), and the office's on the PDFs sohoa makes (``sign_pdf``).

Each signature is checked for integrity (the signed bytes are unchanged), for
its cryptographic validity, and for a chain from the signer's certificate to
one of the trust anchors (``SOHOA_TRUST_STORE``: PEM or DER certificates, one
file or a folder of them). Nothing is fetched from the network: revocation is
not checked (soft-fail). The file is only read, never changed.

``sign_pdf`` signs with the office's certificate and key from a PKCS#12 file
(``SOHOA_SIGNING_PKCS12``, its PIN in ``SOHOA_SIGNING_PIN``), PAdES baseline B
(an invisible signature, added as an incremental update so the PDF/A stays
PDF/A), verifiable by any reader that checks signatures.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from asn1crypto import x509
from pyhanko.keys import load_certs_from_pemder
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader

from sohoa.core.errors import ConfigurationError

if TYPE_CHECKING:  # pyhanko.sign takes ~0.4 s to import: only where a PDF is signed
    from pyhanko.sign.validation.status import PdfSignatureStatus

_CERTIFICATE_SUFFIXES = (".pem", ".crt", ".cer", ".der")
SIGNATURE_FIELD = "sohoa"
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class SignatureCheck:
    """What checking one signature found.

    ``intact``: the bytes it signs are unchanged; ``valid``: intact and its
    cryptography sound; ``trusted``: the signer's certificate chains to a trust
    anchor; ``whole_file``: it covers the file as received (no later changes).
    """

    field: str
    signer: str
    signing_time: datetime | None
    intact: bool
    valid: bool
    trusted: bool
    whole_file: bool
    summary: str

    @property
    def ok(self) -> bool:
        return self.intact and self.valid and self.trusted


def load_trust_roots(trust_store: Path | None) -> list[x509.Certificate]:
    """The trust anchors in ``trust_store`` (a certificate file, or a folder of
    them); none when it is not set.

    Raises:
        ConfigurationError: the path does not exist or holds no certificate.
    """
    if trust_store is None:
        return []
    if trust_store.is_dir():
        files = sorted(p for p in trust_store.iterdir() if p.suffix in _CERTIFICATE_SUFFIXES)
    elif trust_store.is_file():
        files = [trust_store]
    else:
        raise ConfigurationError(f"The trust store {trust_store} does not exist")
    roots = list(load_certs_from_pemder([str(path) for path in files]))  # type: ignore[no-untyped-call]
    if not roots:
        raise ConfigurationError(f"The trust store {trust_store} holds no certificate")
    return roots


def check_signatures(
    pdf: Path, trust_roots: Sequence[x509.Certificate]
) -> tuple[SignatureCheck, ...]:
    """Every signature in ``pdf``, checked; none for an unsigned or unreadable PDF."""
    with pdf.open("rb") as source:
        try:
            reader = PdfFileReader(source, strict=False)
            embedded = list(reader.embedded_signatures)
        except (PdfError, ValueError, KeyError, TypeError):
            return ()
        if not embedded:
            return ()
        from pyhanko.sign.validation import async_validate_pdf_signature
        from pyhanko.sign.validation.errors import SignatureValidationError
        from pyhanko_certvalidator import ValidationContext

        checks = []
        for signature in embedded:
            context = ValidationContext(trust_roots=list(trust_roots), allow_fetching=False)
            try:
                status = _run(async_validate_pdf_signature(signature, context))
            except (SignatureValidationError, PdfError, ValueError) as exc:
                checks.append(_unreadable(signature.field_name, exc))
                continue
            checks.append(_check(signature.field_name, status))
    return tuple(checks)


def sign_pdf(pdf: Path, pkcs12: Path, pin: str) -> Path:
    """Sign ``pdf`` in place (written atomically) with the key and certificate in ``pkcs12``.

    Raises:
        ConfigurationError: the PKCS#12 file is missing, or the PIN does not open it.
    """
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    if not pkcs12.is_file():
        raise ConfigurationError(f"The signing certificate {pkcs12} does not exist")
    try:
        signer = signers.SimpleSigner.load_pkcs12_data(
            pkcs12.read_bytes(), other_certs=(), passphrase=pin.encode() if pin else None
        )
    except ValueError as exc:
        raise ConfigurationError(f"Cannot open the signing certificate {pkcs12}: {exc}") from exc
    signed = pdf.with_name(f".{pdf.name}.signed")
    try:
        with pdf.open("rb") as source, signed.open("wb") as out:
            writer = IncrementalPdfFileWriter(source, strict=False)
            metadata = signers.PdfSignatureMetadata(
                field_name=SIGNATURE_FIELD, subfilter=fields.SigSeedSubFilter.PADES
            )
            _run(signers.async_sign_pdf(writer, metadata, signer=signer, output=out))
        signed.replace(pdf)
    finally:
        signed.unlink(missing_ok=True)
    return pdf


def _check(field: str, status: PdfSignatureStatus) -> SignatureCheck:
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    return SignatureCheck(
        field=field,
        signer=status.signing_cert.subject.human_friendly,
        signing_time=status.signer_reported_dt,
        intact=status.intact,
        valid=status.valid,
        trusted=status.trusted,
        whole_file=status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
        summary=status.summary(),
    )


def _unreadable(field: str, exc: Exception) -> SignatureCheck:
    return SignatureCheck(field, "", None, False, False, False, False, f"unreadable: {exc}")


def _run(coroutine: Coroutine[Any, Any, _T]) -> _T:
    """Run pyHanko's validation to completion, also from a thread whose event
    loop is already running (a Prefect task's)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
