"""Signed PDFs received for digitizing: their signatures are checked with pyHanko
against the configured trust store (a test CA made here), kept on the record,
shown by `sohoa show`, and the signed file is stored byte for byte."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.dss import DocumentSecurityStore, NoDSSFoundError
from pyhanko_certvalidator import ValidationContext

from sohoa.app import backends
from sohoa.app.archive import archive_dossier
from sohoa.app.intake import CheckedDossier, SigningOptions, finish_dossier
from sohoa.core.errors import ConfigurationError, SigningServiceUnavailable
from sohoa.core.settings import load_settings
from sohoa.models import Record
from sohoa.pipeline.inbox import DossierSpec
from sohoa.pipeline.metadata import load_rules
from sohoa.pipeline.preflight import IntakeLimits, inspect_file
from sohoa.pipeline.signatures import (
    LongTermSigning,
    TokenKey,
    check_signatures,
    load_crls,
    load_trust_roots,
)
from sohoa.pipeline.signatures import sign_pdf as sign_pdf_as_office
from tests.helpers.archival import generated_page
from tests.helpers.cli import run_cli
from tests.helpers.records import load
from tests.helpers.signing import (
    SIGNER_NAME,
    SigningPki,
    issue_crl,
    make_test_pki,
    office_pkcs12,
    scanned_pdf,
    sign_pdf,
    softhsm_config,
    softhsm_token,
    timestamp_authority,
)
from tests.helpers.verapdf import pdfa_failures

LIMITS = IntakeLimits(max_file_bytes=1 << 30, max_page_pixels=200_000_000, min_image_side=64)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> SigningPki:
    return make_test_pki(tmp_path_factory.mktemp("pki"))


def tampered(signed: Path, out: Path) -> Path:
    """A copy of ``signed`` with one byte of the signed page description changed."""
    data = signed.read_bytes()
    at = data.index(b"/MediaBox")
    out.write_bytes(data[:at] + data[at:].replace(b"0", b"1", 1))
    return out


def test_signature_is_verified_against_the_trust_store(tmp_path: Path, pki: SigningPki) -> None:
    signed = sign_pdf(scanned_pdf(tmp_path / "plain.pdf"), tmp_path / "signed.pdf", pki)

    [check] = check_signatures(signed, load_trust_roots(pki.root_cert))

    assert check.ok and check.whole_file and check.field == "ChuKy1"
    assert SIGNER_NAME in check.signer
    assert check.signing_time is not None
    assert abs(check.signing_time - datetime.now(UTC)) < timedelta(minutes=5)
    # The same signature without the CA in the trust store: intact, but not trusted.
    [untrusted] = check_signatures(signed, [])
    assert (untrusted.intact, untrusted.valid, untrusted.trusted) == (True, True, False)
    # A folder of certificates is a trust store too; an empty one is a mistake.
    assert check_signatures(signed, load_trust_roots(pki.root_cert.parent))[0].trusted
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigurationError, match="holds no certificate"):
        load_trust_roots(tmp_path / "empty")
    assert check_signatures(tmp_path / "plain.pdf", []) == ()


def test_tampered_copy_is_reported_invalid(tmp_path: Path, pki: SigningPki) -> None:
    signed = sign_pdf(scanned_pdf(tmp_path / "plain.pdf"), tmp_path / "signed.pdf", pki)

    [check] = check_signatures(
        tampered(signed, tmp_path / "t.pdf"), load_trust_roots(pki.root_cert)
    )

    assert not check.intact and not check.ok


def digitize(folder: Path, original: Path, trust_store: Path) -> Record:
    """The dossier steps after OCR on ``original`` (generated word boxes stand in for OCR)."""
    source = inspect_file(original, LIMITS)
    spec = DossierSpec(original.stem, (original,))
    dossier = CheckedDossier(spec, [source])
    pages_dir = folder / f"{original.stem}-pages"
    pages_dir.mkdir()
    work = folder / f"{original.stem}-work"
    work.mkdir()
    outputs = finish_dossier(
        dossier,
        [generated_page(pages_dir, "L")],
        [original.name],
        work,
        load_rules(),
        60,
        SigningOptions(trust_store=trust_store),
    )
    return archive_dossier(backends.object_store(), dossier.record_id, "b1", spec, outputs)


def test_signed_pdf_digitized_keeps_its_bytes_and_shows_its_signature(
    data_dir: Path, tmp_path: Path, pki: SigningPki
) -> None:
    signed = sign_pdf(scanned_pdf(tmp_path / "plain.pdf"), tmp_path / "signed.pdf", pki)
    broken = tampered(signed, tmp_path / "tampered.pdf")

    record = digitize(tmp_path, signed, pki.root_cert)
    tampered_record = digitize(tmp_path, broken, pki.root_cert)

    [original] = record.originals
    [signature] = original.signatures
    assert signature.ok and SIGNER_NAME in signature.signer
    assert backends.object_store().get_bytes(original.key) == signed.read_bytes()
    assert not tampered_record.originals[0].signatures[0].intact
    env = {"SOHOA_DATA_DIR": str(data_dir)}
    shown = run_cli("show", record.record_id, env=env)
    assert shown.returncode == 0, shown.stderr[-2000:]
    assert f"signature      signed.pdf: VALID, signed by Common Name: {SIGNER_NAME}" in shown.stdout
    shown = run_cli("show", tampered_record.record_id, env=env).stdout
    assert "signature      tampered.pdf: INVALID (signed content changed" in shown
    index = backends.search_index()
    index.setup()
    load(index, record, tampered_record)
    assert searched_ids(env, "--signature", "valid") == [record.record_id]
    assert searched_ids(env, "--signature", "invalid") == [tampered_record.record_id]
    assert searched_ids(env, "--signature", "unsigned") == []
    listed = run_cli("search", env={**env, "SOHOA_LANG": "en"}).stdout
    assert f"{record.record_id[:12]}  p.1" in listed
    marks = {line[:12]: line.rsplit("  ", 1)[-1] for line in listed.splitlines() if "  p." in line}
    assert marks[record.record_id[:12]] == "[signature valid]"
    assert marks[tampered_record.record_id[:12]] == "[signature INVALID]"


def searched_ids(env: dict[str, str], *options: str) -> list[str]:
    """The record ids `sohoa search --json *options` finds."""
    found = run_cli("search", "--json", *options, env=env)
    assert found.returncode == 0, found.stderr[-2000:]
    return [hit["record_id"] for hit in json.loads(found.stdout)["hits"]]


def office_signed_searchable_pdf(folder: Path, signing: SigningOptions) -> Path:
    """A searchable PDF made as a dossier is digitized, signed as ``signing`` says."""
    source = inspect_file(scanned_pdf(folder / "hs.pdf"), LIMITS)
    dossier = CheckedDossier(DossierSpec("hs", (source.path,)), [source])
    outputs = finish_dossier(
        dossier, [generated_page(folder, "L")], ["hs.pdf"], folder, load_rules(), 60, signing
    )
    return outputs.searchable_pdf


def test_searchable_pdf_signed_by_the_office_verifies_and_stays_pdfa(
    tmp_path: Path, pki: SigningPki
) -> None:
    p12 = office_pkcs12(pki, tmp_path / "office.p12", pin="2468")

    pdf = office_signed_searchable_pdf(tmp_path, SigningOptions(pkcs12=p12, pin="2468"))

    [check] = check_signatures(pdf, load_trust_roots(pki.root_cert))
    assert check.ok and check.whole_file and check.field == "sohoa"
    assert SIGNER_NAME in check.signer
    assert pdfa_failures([pdf]) == {str(pdf): []}
    with pdf.open("rb") as handle:  # baseline B: no timestamp, no validation info
        reader = PdfFileReader(handle)
        assert reader.embedded_signatures[0].sig_object.get("/Contents")
        context = ValidationContext(trust_roots=load_trust_roots(pki.root_cert))
        status = validate_pdf_signature(reader.embedded_signatures[0], context)
        assert status.timestamp_validity is None
        with pytest.raises(NoDSSFoundError):
            DocumentSecurityStore.read_dss(reader)
    with pytest.raises(ConfigurationError, match="Cannot open the signing certificate"):
        sign_pdf_as_office(pdf, p12, "wrong pin")


def test_with_a_timestamp_authority_the_office_signature_is_pades_b_lt(
    tmp_path: Path, pki: SigningPki
) -> None:
    p12 = office_pkcs12(pki, tmp_path / "office.p12", pin="2468")
    crl_file = issue_crl(pki, tmp_path / "ca.crl")
    signing = SigningOptions(pki.root_cert, p12, "2468", crls=crl_file)

    with timestamp_authority(pki) as tsa_url:
        pdf = office_signed_searchable_pdf(tmp_path, replace(signing, tsa_url=tsa_url))

    roots = load_trust_roots(pki.root_cert)
    with pdf.open("rb") as handle:
        reader = PdfFileReader(handle)
        [signature] = reader.embedded_signatures
        dss = DocumentSecurityStore.read_dss(reader)
        subjects = " | ".join(cert.subject.human_friendly for cert in dss.load_certs())
        assert "sohoa test CA" in subjects and "sohoa test TSA" in subjects
        assert SIGNER_NAME in subjects
        [embedded_crl] = [ref.get_object().data for ref in dss.crls]
        assert embedded_crl == load_crls(crl_file)[0].dump()
        # Long-term: the file alone holds every certificate's revocation information.
        in_file = {"trust_roots": roots, "allow_fetching": False, "revocation_mode": "require"}
        status = validate_pdf_signature(signature, dss.as_validation_context(in_file))
        assert status.bottom_line and status.trusted
        assert status.timestamp_validity is not None and status.timestamp_validity.trusted
        assert status.modification_level == ModificationLevel.LTA_UPDATES
        without_dss = ValidationContext(**in_file, crls=[])
        assert not validate_pdf_signature(signature, without_dss).trusted
    [check] = check_signatures(pdf, roots)
    assert check.ok and check.whole_file
    assert pdfa_failures([pdf]) == {str(pdf): []}


def test_the_office_key_on_a_pkcs11_token_signs_b_lt(
    tmp_path: Path, pki: SigningPki, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOFTHSM2_CONF", str(softhsm_config(tmp_path / "softhsm")))
    token = softhsm_token(pki, "sohoa-office", pin="135790")
    crl_file = issue_crl(pki, tmp_path / "ca.crl")
    signing = SigningOptions(pki.root_cert, pin="135790", crls=crl_file, token=token)

    with timestamp_authority(pki) as tsa_url:
        pdf = office_signed_searchable_pdf(tmp_path, replace(signing, tsa_url=tsa_url))

    [check] = check_signatures(pdf, load_trust_roots(pki.root_cert))
    assert check.ok and check.whole_file and check.field == "sohoa"
    assert SIGNER_NAME in check.signer
    validated = pyhanko_validate(pdf, pki.root_cert)
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert "The signature is judged VALID." in validated.stdout
    with pdf.open("rb") as handle:
        assert len(DocumentSecurityStore.read_dss(PdfFileReader(handle)).crls) == 1
    with pytest.raises(ConfigurationError, match="SOHOA_SIGNING_PKCS11_MODULE"):
        sign_pdf_as_office(scanned_pdf(tmp_path / "other.pdf"), token, "000000")  # wrong PIN
    with pytest.raises(ConfigurationError, match="cannot sign with 'stamp'"):
        sign_pdf_as_office(tmp_path / "other.pdf", replace(token, key_label="stamp"), "135790")
    with pytest.raises(ConfigurationError, match="not both"):
        replace(signing, pkcs12=tmp_path / "office.p12").office_key()


def test_signing_settings_choose_the_key_and_the_level(tmp_path: Path, pki: SigningPki) -> None:
    crl_file = issue_crl(pki, tmp_path / "ca.crl")
    settings = load_settings(
        data_dir=tmp_path / "data",
        trust_store=pki.root_cert,
        signing_pin="1234",
        signing_pkcs11_module=tmp_path / "vendor-p11.so",
        signing_token_label="VNPT-CA",
        signing_key_label="office",
    )

    token_b = SigningOptions.from_settings(settings)
    token_lt = SigningOptions.from_settings(
        settings.model_copy(
            update={"signing_tsa_url": "http://tsa.example/", "signing_crls": crl_file}
        )
    )

    assert token_b.office_key() == TokenKey(tmp_path / "vendor-p11.so", "VNPT-CA", "office")
    assert token_b.long_term() is None  # no timestamp authority: baseline B
    long_term = token_lt.long_term()
    assert long_term is not None and long_term.tsa_url == "http://tsa.example/"
    assert [c.sha256 for c in long_term.trust_roots] == [
        c.sha256 for c in load_trust_roots(pki.root_cert)
    ]
    assert [c.dump() for c in long_term.crls] == [c.dump() for c in load_crls(crl_file)]
    assert SigningOptions().office_key() is None
    with pytest.raises(ConfigurationError, match="does not exist"):
        replace(token_lt, crls=tmp_path / "missing.crl").long_term()
    (tmp_path / "bad.crl").write_bytes(b"not a CRL")
    with pytest.raises(ConfigurationError, match="not a certificate revocation list"):
        load_crls(tmp_path / "bad.crl")


def test_b_lt_signing_failures_say_what_to_fix(tmp_path: Path, pki: SigningPki) -> None:
    p12 = office_pkcs12(pki, tmp_path / "office.p12", pin="2468")
    pdf = scanned_pdf(tmp_path / "hs.pdf")
    unreached = LongTermSigning("http://127.0.0.1:9/tsa", tuple(load_trust_roots(pki.root_cert)))
    with_crl = replace(unreached, crls=tuple(load_crls(issue_crl(pki, tmp_path / "ca.crl"))))

    with pytest.raises(ConfigurationError, match="SOHOA_SIGNING_CRLS"):
        sign_pdf_as_office(pdf, p12, "2468", unreached)  # no revocation info for the signer
    with pytest.raises(SigningServiceUnavailable, match=r"127\.0\.0\.1:9/tsa") as caught:
        sign_pdf_as_office(pdf, p12, "2468", with_crl)
    assert caught.value.retryable
    assert check_signatures(pdf, []) == ()  # left unsigned, not half-written


def pyhanko_validate(pdf: Path, trust: Path) -> subprocess.CompletedProcess[str]:
    """``pyhanko sign validate`` (pyhanko-cli, no sohoa code) trusting only ``trust``."""
    command = [str(Path(sys.executable).with_name("pyhanko")), "sign", "validate"]
    options = ["--trust", str(trust), "--trust-replace", "--pretty-print", str(pdf)]
    return subprocess.run(command + options, capture_output=True, text=True, timeout=120)


def test_pyhanko_cli_validates_the_office_signature_without_sohoa(
    tmp_path: Path, pki: SigningPki
) -> None:
    p12 = office_pkcs12(pki, tmp_path / "office.p12", pin="2468")
    pdf = office_signed_searchable_pdf(tmp_path, SigningOptions(pkcs12=p12, pin="2468"))

    valid = pyhanko_validate(pdf, pki.root_cert)
    broken = pyhanko_validate(tampered(pdf, tmp_path / "tampered.pdf"), pki.root_cert)
    stranger = pyhanko_validate(pdf, make_test_pki(tmp_path / "other-ca").root_cert)

    assert valid.returncode == 0, valid.stdout + valid.stderr
    assert "Field 1: sohoa" in valid.stdout
    assert f"Common Name: {SIGNER_NAME}" in valid.stdout
    assert "The signer's certificate is trusted." in valid.stdout
    assert "The signature is cryptographically sound." in valid.stdout
    assert "The signature covers the entire file." in valid.stdout
    assert "The signature is judged VALID." in valid.stdout
    assert broken.returncode == 1
    assert "The signature is cryptographically unsound." in broken.stdout
    assert "The signature is judged INVALID." in broken.stdout
    assert stranger.returncode == 1
    assert "The signer's certificate is untrusted." in stranger.stdout


def test_an_unsigned_scan_is_checked_without_loading_the_signature_validator(
    tmp_path: Path,
) -> None:
    plain = scanned_pdf(tmp_path / "plain.pdf")
    check = (
        "import sys; from pathlib import Path; "
        "from sohoa.pipeline.signatures import check_signatures; "
        f"assert check_signatures(Path({str(plain)!r}), []) == (); "
        "print('pyhanko.sign' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True)
    assert (result.returncode, result.stdout.strip()) == (0, "False"), result.stderr
