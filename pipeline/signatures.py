"""Digital signatures with pyHanko: those in a received PDF checked
(``check_signatures``), and the office's on the PDFs sohoa makes (``sign_pdf``).

Each signature is checked for integrity (the signed bytes are unchanged), for
its cryptographic validity, and for a chain from the signer's certificate to
one of the trust anchors (``SOHOA_TRUST_STORE``: PEM or DER certificates, one
file or a folder of them). Nothing is fetched from the network: revocation is
not checked (soft-fail). The file is only read, never changed.

``sign_pdf`` signs with the office's certificate and key from a PKCS#12 file
(``SOHOA_SIGNING_PKCS12``) or on a PKCS#11 token (``TokenKey``), its PIN in
``SOHOA_SIGNING_PIN``: an invisible
signature, added as an incremental update so the PDF/A stays PDF/A, verifiable
by any reader that checks signatures. PAdES baseline B by itself; B-LT with a
timestamp authority (``SOHOA_SIGNING_TSA_URL``, see ``LongTermSigning``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pikepdf
from asn1crypto import crl, pem, x509
from pyhanko.keys import load_certs_from_pemder
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader

from sohoa.core.errors import ConfigurationError, SigningServiceUnavailable

if TYPE_CHECKING:  # pyhanko.sign takes ~0.4 s to import: only where a PDF is signed
    from pyhanko.sign.signers import Signer
    from pyhanko.sign.validation.status import PdfSignatureStatus
    from pyhanko_certvalidator import ValidationContext

_CERTIFICATE_SUFFIXES = (".pem", ".crt", ".cer", ".der")
_CRL_SUFFIXES = (".crl", ".pem", ".der")
TSA_TIMEOUT_SECONDS = 30
SIGNATURE_FIELD = "sohoa"
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class SignatureCheck:
    """What checking one signature found.

    ``intact``: the bytes it signs are unchanged; ``valid``: intact and its
    cryptography sound; ``trusted``: the signer's certificate chains to a trust
    anchor; ``whole_file``: it covers the file as received (no later changes
    but validation data: a DSS, document timestamps).
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


@dataclass(frozen=True, slots=True)
class TokenKey:
    """The office's key on a PKCS#11 token (a USB token, an HSM): the vendor's
    module (``.so``), the token's label, and the label that the key and its
    certificate carry on it. The CA certificates stored on the token join the chain."""

    module: Path
    token_label: str
    key_label: str


@dataclass(frozen=True, slots=True)
class LongTermSigning:
    """What makes the office's signature PAdES B-LT: a signature timestamp from
    the RFC 3161 timestamp authority at ``tsa_url`` (B-T), then the certificates
    and revocation information of the signer's and the authority's chains
    embedded in the PDF's DSS. They are gathered by validating those chains to
    ``trust_roots`` (with the self-signed certificates of the PKCS#12 file or token),
    using ``crls`` given offline and fetching the rest from the addresses the
    certificates name; a certificate without any is refused."""

    tsa_url: str
    trust_roots: tuple[x509.Certificate, ...] = ()
    crls: tuple[crl.CertificateList, ...] = ()


def load_trust_roots(trust_store: Path | None) -> list[x509.Certificate]:
    """The trust anchors in ``trust_store`` (a certificate file, or a folder of
    them); none when it is not set.

    Raises:
        ConfigurationError: the path does not exist or holds no certificate.
    """
    if trust_store is None:
        return []
    files = _files(trust_store, _CERTIFICATE_SUFFIXES, "trust store")
    roots = list(load_certs_from_pemder([str(path) for path in files]))  # type: ignore[no-untyped-call]
    if not roots:
        raise ConfigurationError(f"The trust store {trust_store} holds no certificate")
    return roots


def load_crls(source: Path | None) -> list[crl.CertificateList]:
    """The certificate revocation lists in ``source`` (PEM or DER, a file or a
    folder of them); none when it is not set.

    Raises:
        ConfigurationError: the path does not exist, or a file is not a CRL.
    """
    if source is None:
        return []
    lists = []
    for path in _files(source, _CRL_SUFFIXES, "CRL source"):
        data = path.read_bytes()
        blocks = (
            [der for _, _, der in pem.unarmor(data, multiple=True)] if pem.detect(data) else [data]
        )
        try:
            lists += [crl.CertificateList.load(der) for der in blocks]
        except (ValueError, TypeError, IndexError) as exc:
            raise ConfigurationError(f"{path} is not a certificate revocation list: {exc}") from exc
    return lists


def _files(source: Path, suffixes: tuple[str, ...], what: str) -> list[Path]:
    """``source`` itself, or the files in the folder ``source`` with one of ``suffixes``."""
    if source.is_dir():
        return sorted(p for p in source.iterdir() if p.suffix in suffixes)
    if source.is_file():
        return [source]
    raise ConfigurationError(f"The {what} {source} does not exist")


def _has_signature_field(pdf: Path) -> bool:
    """Whether the PDF's form has a signature field, read with pikepdf: most
    scans have none, and pyhanko's search for them imports its signing
    modules (0.7 s) first. An unreadable form is left to pyhanko."""
    try:
        with pikepdf.open(pdf) as document:
            form = document.Root.get("/AcroForm")
            fields = form.get("/Fields") if isinstance(form, pikepdf.Dictionary) else None
            return isinstance(fields, pikepdf.Array) and _any_signature(fields, None, set())
    except (pikepdf.PdfError, OSError, ValueError, TypeError):
        return True


def _any_signature(fields: pikepdf.Array, inherited: Any, seen: set[tuple[int, int]]) -> bool:
    for field in fields:
        if not isinstance(field, pikepdf.Dictionary) or field.objgen in seen:
            continue
        if field.objgen != (0, 0):
            seen.add(field.objgen)
        kind = field.get("/FT", inherited)
        if kind == pikepdf.Name.Sig:
            return True
        kids = field.get("/Kids")
        if isinstance(kids, pikepdf.Array) and _any_signature(kids, kind, seen):
            return True
    return False


def check_signatures(
    pdf: Path, trust_roots: Sequence[x509.Certificate]
) -> tuple[SignatureCheck, ...]:
    """Every signature in ``pdf``, checked; none for an unsigned or unreadable PDF."""
    if not _has_signature_field(pdf):
        return ()
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


def sign_pdf(
    pdf: Path, key: Path | TokenKey, pin: str, long_term: LongTermSigning | None = None
) -> Path:
    """Sign ``pdf`` in place (written atomically) with the office's key and
    certificate, from a PKCS#12 file or on a PKCS#11 token: PAdES B-LT with
    ``long_term``, else baseline B.

    Raises:
        ConfigurationError: the PKCS#12 file or the token cannot be opened with
            ``pin``, or (B-LT) a chain cannot be validated or lacks revocation
            information.
        SigningServiceUnavailable: the timestamp authority did not answer.
    """
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko.sign.general import SigningError
    from pyhanko.sign.timestamps import HTTPTimeStamper, TimestampRequestError

    timestamper = None
    if long_term is not None:
        timestamper = HTTPTimeStamper(long_term.tsa_url, timeout=TSA_TIMEOUT_SECONDS)
    signed = pdf.with_name(f".{pdf.name}.signed")
    try:
        with _office_signer(key, pin) as signer:
            context = _validation_context(signer, long_term) if long_term else None
            metadata = signers.PdfSignatureMetadata(
                field_name=SIGNATURE_FIELD,
                subfilter=fields.SigSeedSubFilter.PADES,
                embed_validation_info=context is not None,
                validation_context=context,
            )
            with pdf.open("rb") as source, signed.open("wb") as out:
                writer = IncrementalPdfFileWriter(source, strict=False)
                signing = signers.async_sign_pdf(
                    writer, metadata, signer=signer, timestamper=timestamper, output=out
                )
                _run(signing)
        signed.replace(pdf)
    except TimestampRequestError as exc:
        raise SigningServiceUnavailable(
            f"The timestamp authority {long_term.tsa_url if long_term else ''} did not answer "
            f"({exc.__cause__ or exc}): check SOHOA_SIGNING_TSA_URL; the file is tried again"
        ) from exc
    except SigningError as exc:  # a token that refuses, or (B-LT) a chain that does not validate
        hint = _TOKEN_HINT if isinstance(key, TokenKey) else _B_LT_HINT
        raise ConfigurationError(
            f"The office's signature cannot be made: {exc} ({exc.__cause__}). {hint}"
        ) from exc
    finally:
        signed.unlink(missing_ok=True)
    return pdf


_B_LT_HINT = (
    "For B-LT, check that the chain ends in SOHOA_TRUST_STORE and give the CRLs in "
    "SOHOA_SIGNING_CRLS, or let sohoa reach the CRL and OCSP addresses the certificates name"
)
_TOKEN_HINT = (
    "Check SOHOA_SIGNING_PKCS11_MODULE, SOHOA_SIGNING_TOKEN_LABEL, SOHOA_SIGNING_KEY_LABEL "
    "and SOHOA_SIGNING_PIN (and, for B-LT, SOHOA_TRUST_STORE and SOHOA_SIGNING_CRLS)"
)


@contextmanager
def _office_signer(key: Path | TokenKey, pin: str) -> Iterator[Signer]:
    """The office's signer; a token's session is open while it is used."""
    if isinstance(key, Path):
        yield _pkcs12_signer(key, pin)
        return
    from pkcs11 import PKCS11Error
    from pyhanko.config.pkcs11 import PKCS11SignatureConfig, TokenCriteria
    from pyhanko.sign.pkcs11 import PKCS11SigningContext

    if not key.module.is_file():
        raise ConfigurationError(f"The PKCS#11 module {key.module} does not exist")
    config = PKCS11SignatureConfig(
        module_path=str(key.module),
        token_criteria=TokenCriteria(label=key.token_label),
        key_label=key.key_label,
        cert_label=key.key_label,
        other_certs_to_pull=None,  # the CA certificates stored beside it
        # Hashed here, the token signs the digest (CKM_ECDSA, CKM_RSA_PKCS): mechanisms
        # every token has, where hash-and-sign ones are not (SoftHSM's ECDSA).
        raw_mechanism=True,
    )
    try:
        with PKCS11SigningContext(config, user_pin=pin) as signer:
            yield signer
    except PKCS11Error as exc:  # no such key or certificate on the token, a mechanism refused
        raise ConfigurationError(
            f"The PKCS#11 token {key.token_label!r} cannot sign with {key.key_label!r}: "
            f"{type(exc).__name__} {exc}. {_TOKEN_HINT}"
        ) from exc


def _pkcs12_signer(pkcs12: Path, pin: str) -> Signer:
    from pyhanko.sign import signers

    if not pkcs12.is_file():
        raise ConfigurationError(f"The signing certificate {pkcs12} does not exist")
    try:
        signer: Signer = signers.SimpleSigner.load_pkcs12_data(
            pkcs12.read_bytes(), other_certs=(), passphrase=pin.encode() if pin else None
        )
    except ValueError as exc:
        raise ConfigurationError(f"Cannot open the signing certificate {pkcs12}: {exc}") from exc
    return signer


def _validation_context(signer: Signer, long_term: LongTermSigning) -> ValidationContext:
    """Where a B-LT signature's validation info is gathered: every certificate
    of the chains must have its revocation information."""
    from pyhanko_certvalidator import ValidationContext

    own_roots = [cert for cert in signer.cert_registry if cert.self_signed != "no"]
    return ValidationContext(
        trust_roots=[*long_term.trust_roots, *own_roots],
        crls=list(long_term.crls),
        allow_fetching=True,
        revocation_mode="require",
    )


def _check(field: str, status: PdfSignatureStatus) -> SignatureCheck:
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    return SignatureCheck(
        field=field,
        signer=status.signing_cert.subject.human_friendly,
        signing_time=status.signer_reported_dt,
        intact=status.intact,
        valid=status.valid,
        trusted=status.trusted,
        whole_file=status.coverage == SignatureCoverageLevel.ENTIRE_FILE
        or status.modification_level == ModificationLevel.LTA_UPDATES,
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
