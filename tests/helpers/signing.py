"""A test certificate authority made with ``cryptography``, and PDFs signed with
pyHanko by a certificate it issued, as an office's signing software would; a CRL
it issued and an RFC 3161 timestamp authority on loopback, for PAdES B-LT; a
SoftHSM token holding the signer's key, as an office's USB token would."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import img2pdf
from asn1crypto import keys, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from PIL import Image
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.timestamps import DummyTimeStamper

from sohoa.pipeline.signatures import TokenKey

SIGNER_NAME = "Nguyễn Văn An"
# Debian's softhsm2 package (scripts/bootstrap.sh installs it).
SOFTHSM_MODULE = Path("/usr/lib/softhsm/libsofthsm2.so")


@dataclass(frozen=True)
class SigningPki:
    root_cert: Path  # the CA's certificate (PEM): the trust store
    signer_cert: Path
    signer_key: Path
    root_key: Path


def make_test_pki(folder: Path, signer_name: str = SIGNER_NAME) -> SigningPki:
    """A root CA and a signer certificate it issued, valid from yesterday for a year."""
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    root_key = ec.generate_private_key(ec.SECP256R1())
    root_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sohoa test CA")])
    root = (
        _builder(root_name, root_name, root_key.public_key(), now)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_key_usage(ca=True), critical=True)
        .sign(root_key, hashes.SHA256())
    )
    signer_key = ec.generate_private_key(ec.SECP256R1())
    signer_subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, signer_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "UBND xã Tân Phú"),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
        ]
    )
    signer = (
        _builder(signer_subject, root_name, signer_key.public_key(), now)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(ca=False), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        )
        .sign(root_key, hashes.SHA256())
    )
    pki = SigningPki(
        folder / "root.pem",
        folder / "signer.pem",
        folder / "signer-key.pem",
        folder / "root-key.pem",
    )
    pki.root_cert.write_bytes(root.public_bytes(serialization.Encoding.PEM))
    pki.signer_cert.write_bytes(signer.public_bytes(serialization.Encoding.PEM))
    pki.signer_key.write_bytes(_pem_key(signer_key))
    pki.root_key.write_bytes(_pem_key(root_key))
    return pki


def issue_crl(pki: SigningPki, out: Path) -> Path:
    """The CA's current CRL (PEM; nothing revoked), valid from an hour ago for a week."""
    root = x509.load_pem_x509_certificate(pki.root_cert.read_bytes())
    now = datetime.now(UTC)
    revocations = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(root.subject)
        .last_update(now - timedelta(hours=1))
        .next_update(now + timedelta(days=7))
        .sign(_root_key(pki), hashes.SHA256())
    )
    out.write_bytes(revocations.public_bytes(serialization.Encoding.PEM))
    return out


@contextmanager
def timestamp_authority(pki: SigningPki) -> Iterator[str]:
    """An RFC 3161 timestamp authority on loopback, with a certificate the CA
    issued (pyHanko's DummyTimeStamper signs the tokens); its URL."""
    root = x509.load_pem_x509_certificate(pki.root_cert.read_bytes())
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)  # the stamper's only kind
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sohoa test TSA")])
    certificate = (
        _builder(subject, root.subject, key.public_key(), datetime.now(UTC))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(ca=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(_root_key(pki), hashes.SHA256())
    )
    stamper = DummyTimeStamper(
        asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER)),
        keys.PrivateKeyInfo.load(
            key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        ),
    )

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            request = tsp.TimeStampReq.load(self.rfile.read(int(self.headers["Content-Length"])))
            reply = stamper.request_tsa_response(request).dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: the test reads the tokens, not a log."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/tsa"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def softhsm_config(folder: Path) -> Path:
    """A SoftHSM configuration keeping its tokens in ``folder``: point
    SOFTHSM2_CONF at it before the module is first loaded in the process."""
    (folder / "tokens").mkdir(parents=True, exist_ok=True)
    config = folder / "softhsm2.conf"
    config.write_text(
        f"directories.tokendir = {folder / 'tokens'}\nobjectstore.backend = file\n"
        "log.level = ERROR\n"
    )
    return config


def softhsm_token(pki: SigningPki, token_label: str, pin: str) -> TokenKey:
    """A SoftHSM token holding the test signer's key and certificate (label
    "office") and the CA's certificate, in the folder SOFTHSM2_CONF names."""
    import pkcs11
    from pkcs11 import Attribute, CertificateType, ObjectClass

    _softhsm_util(
        "--init-token", "--free", "--label", token_label, "--so-pin", "0" + pin, "--pin", pin
    )
    _softhsm_util(
        "--import", str(pki.signer_key), "--token", token_label,
        "--label", "office", "--id", "01", "--pin", pin,
    )  # fmt: skip
    token = pkcs11.lib(str(SOFTHSM_MODULE)).get_token(token_label=token_label)
    with token.open(rw=True, user_pin=pin) as session:
        for label, path, key_id in (
            ("office", pki.signer_cert, b"\x01"),
            ("ca", pki.root_cert, b"\x02"),
        ):
            certificate = x509.load_pem_x509_certificate(path.read_bytes())
            session.create_object(
                {
                    Attribute.CLASS: ObjectClass.CERTIFICATE,
                    Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                    Attribute.TOKEN: True,
                    Attribute.LABEL: label,
                    Attribute.ID: key_id,
                    Attribute.SUBJECT: certificate.subject.public_bytes(),
                    Attribute.VALUE: certificate.public_bytes(serialization.Encoding.DER),
                }
            )
    return TokenKey(SOFTHSM_MODULE, token_label, "office")


def _softhsm_util(*args: str) -> None:
    done = subprocess.run(["softhsm2-util", *args], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"softhsm2-util {args[0]} failed: {done.stdout}{done.stderr}"


def _root_key(pki: SigningPki) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(pki.root_key.read_bytes(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return key


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def scanned_pdf(path: Path) -> Path:
    """A one-page PDF of a gray page image, as a scanner or an office's software makes."""
    image = path.with_suffix(".jpg")
    Image.new("L", (1240, 1754), "white").save(image, dpi=(150, 150))
    path.write_bytes(img2pdf.convert(str(image)))
    return path


def office_pkcs12(pki: SigningPki, out: Path, pin: str) -> Path:
    """The signer's key and certificate (with the CA's) as a PKCS#12 file locked by ``pin``."""
    key = serialization.load_pem_private_key(pki.signer_key.read_bytes(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    out.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"sohoa office",
            key,
            x509.load_pem_x509_certificate(pki.signer_cert.read_bytes()),
            [x509.load_pem_x509_certificate(pki.root_cert.read_bytes())],
            serialization.BestAvailableEncryption(pin.encode()),
        )
    )
    return out


def sign_pdf(pdf: Path, out: Path, pki: SigningPki) -> Path:
    """``pdf`` signed (PAdES baseline B) by the test signer, as a new file ``out``."""
    signer = signers.SimpleSigner.load(
        str(pki.signer_key), str(pki.signer_cert), ca_chain_files=(str(pki.root_cert),)
    )
    with pdf.open("rb") as source, out.open("wb") as target:
        writer = IncrementalPdfFileWriter(source, strict=False)
        metadata = signers.PdfSignatureMetadata(
            field_name="ChuKy1", subfilter=fields.SigSeedSubFilter.PADES
        )
        signers.sign_pdf(writer, metadata, signer=signer, output=target)
    return out


def _builder(
    subject: x509.Name,
    issuer: x509.Name,
    key: ec.EllipticCurvePublicKey | rsa.RSAPublicKey,
    now: datetime,
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
    )


def _key_usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not ca,
        content_commitment=not ca,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )
