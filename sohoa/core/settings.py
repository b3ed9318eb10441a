"""All settings in one place: ``SOHOA_*`` environment variables, optionally a
TOML file named by ``SOHOA_CONFIG``; validated once at start. Secrets come
from the environment only and are never printed."""

from __future__ import annotations

import difflib
import os
import tomllib
from functools import cached_property
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from sohoa.core.errors import ConfigurationError

DEFAULT_DATA_DIR = Path("data")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SOHOA_", extra="forbid", frozen=True)

    data_dir: Path = DEFAULT_DATA_DIR
    # file:///path (default: <data_dir>/objects) or s3://bucket
    storage: str = ""
    # sqlite:///path (default: <data_dir>/index.sqlite3) or http(s)://host:9200
    index: str = ""
    # sqlite:///path (default: <data_dir>/sohoa.sqlite3) or postgresql+psycopg://user@host/name
    database: str = ""

    s3_endpoint: str = "127.0.0.1:9000"
    s3_access_key: SecretStr = SecretStr("")
    s3_secret_key: SecretStr = SecretStr("")
    s3_secure: bool = False
    # PEM file of the CA that signed MinIO's certificate (else the system's CAs)
    s3_ca_certs: Path | None = None
    s3_region: str = "us-east-1"
    presign_seconds: int = Field(default=900, ge=60, le=7 * 86400)

    es_username: str = ""
    es_password: SecretStr = SecretStr("")
    es_api_key: SecretStr = SecretStr("")
    es_ca_certs: Path | None = None
    es_index_alias: str = "sohoa-records"

    # Inbox: a batch is complete when it holds READY or has been quiet this long.
    quiet_seconds: float = Field(default=120.0, ge=0)
    poll_seconds: float = Field(default=30.0, gt=0)
    processed_dir: Path | None = None
    failed_dir: Path | None = None
    quarantine_dir: Path | None = None

    dpi: int = Field(default=300, ge=72, le=1200)
    languages: str = "vie+eng"
    ocr_timeout_seconds: float = Field(default=300.0, gt=0)
    # Seconds between tries of a step whose error can pass (a storage service
    # restarting, a tool timeout); one try per delay. JSON list in the environment.
    retry_delays: tuple[Annotated[float, Field(ge=0)], ...] = Field(
        default=(2.0, 10.0, 30.0), max_length=10
    )
    workers: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1)
    # tcp://scheduler:8786 to run page tasks on a Dask cluster instead of local threads
    dask_address: str = ""
    max_file_mb: int = Field(default=512, ge=1)
    max_page_pixels: int = Field(default=200_000_000, ge=1)
    min_image_side: int = Field(default=64, ge=1)
    review_min_confidence: float = Field(default=60.0, ge=0, le=100)
    metadata_rules: Path | None = None
    # Finished Prefect flow runs (and their task runs) older than this are pruned
    # by the daily prune-prefect-runs deployment; Prefect's database grows otherwise.
    prefect_keep_days: float = Field(default=30.0, gt=0)
    # The office's time zone: a record digitized at 23:30 UTC counts on the local day.
    timezone: str = "Asia/Ho_Chi_Minh"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r} (e.g. Asia/Ho_Chi_Minh)") from exc
        return value

    # The web app: signs session cookies (else a key generated once under data_dir).
    secret_key: SecretStr = SecretStr("")
    session_minutes: int = Field(default=480, ge=5, le=7 * 24 * 60)
    # Failed logins for one user name from one address before it must wait.
    login_attempts: int = Field(default=5, ge=1)
    login_window_minutes: int = Field(default=15, ge=1)
    # Trust anchors for the signatures in received PDFs: a PEM/DER certificate file or a
    # folder of them. Unset: signatures are checked for integrity only, never trusted.
    trust_store: Path | None = None
    # The office's certificate and key (PKCS#12) to sign each searchable PDF with; keep its
    # PIN in the environment (SOHOA_SIGNING_PIN) rather than the config file. Unset: unsigned.
    signing_pkcs12: Path | None = None
    signing_pin: SecretStr = SecretStr("")
    # Or the key on a PKCS#11 token (USB token, HSM): the vendor's module, the token's label
    # and the label its key and certificate carry; the PIN is SOHOA_SIGNING_PIN too.
    signing_pkcs11_module: Path | None = None
    signing_token_label: str = ""
    signing_key_label: str = ""
    # An RFC 3161 timestamp authority: with it the signature is PAdES B-LT (timestamped, with
    # the chains' certificates and revocation information embedded); without it, baseline B.
    signing_tsa_url: str = ""
    # CRLs (PEM/DER file or folder) to embed for B-LT, for certificates whose CRL or OCSP
    # addresses sohoa cannot reach; the others are fetched from those addresses.
    signing_crls: Path | None = None

    @field_validator("data_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().absolute()

    @cached_property
    def storage_url(self) -> str:
        return self.storage or (self.data_dir / "objects").as_uri()

    @cached_property
    def index_url(self) -> str:
        return self.index or "sqlite:///" + str(self.data_dir / "index.sqlite3")

    @cached_property
    def database_url(self) -> str:
        return self.database or "sqlite:///" + str(self.data_dir / "sohoa.sqlite3")

    @property
    def work_dir(self) -> Path:
        """Scratch space for page images; must be shared by all workers of a run."""
        return self.data_dir / "work"

    def sibling_dir(self, inbox: Path, configured: Path | None, name: str) -> Path:
        """processed/, failed/ and quarantine/ live beside the inbox by default."""
        return configured if configured is not None else inbox.absolute().parent / name


def redact_url(url: str) -> str:
    """The URL with any user and password in it replaced, for messages and logs."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def _refuse_unknown_keys(values: dict[str, object], path: Path) -> None:
    """A misspelt key would otherwise leave its setting at the default, unnoticed."""
    for key in values:
        if key not in Settings.model_fields:
            close = difflib.get_close_matches(key, Settings.model_fields, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ConfigurationError(f"Unknown setting {key!r} in {path}{hint}")


def load_settings(**overrides: object) -> Settings:
    values: dict[str, object] = {}
    config_file = os.environ.get("SOHOA_CONFIG")
    if config_file:
        path = Path(config_file)
        try:
            values.update(tomllib.loads(path.read_text(encoding="utf-8")))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigurationError(f"Cannot read SOHOA_CONFIG file {path}: {exc}") from exc
        _refuse_unknown_keys(values, path)
        # The environment wins over the file.
        values = {k: v for k, v in values.items() if f"SOHOA_{k.upper()}" not in os.environ}
    values.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return Settings(**values)  # type: ignore[arg-type]
    except ValueError as exc:
        raise ConfigurationError(f"Invalid sohoa settings: {exc}") from exc
