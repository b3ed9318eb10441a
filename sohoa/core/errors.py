"""One hierarchy of errors. Each message tells the person at the scanner or
the desk what to do; ``retryable`` says whether trying again can help. Only
the CLI turns these into exit codes."""

from __future__ import annotations

from enum import StrEnum


class RejectCode(StrEnum):
    """Why a file went to quarantine, for machines; the message is for people."""

    EMPTY = "empty"
    TOO_LARGE = "too_large"
    UNSUPPORTED_TYPE = "unsupported_type"
    CORRUPT = "corrupt"
    ENCRYPTED = "encrypted"
    DECOMPRESSION_BOMB = "decompression_bomb"
    TOO_SMALL = "too_small"
    NOT_A_REGULAR_FILE = "not_a_regular_file"
    PROCESSING_FAILED = "processing_failed"


class SohoaError(Exception):
    exit_code = 1
    retryable = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigurationError(SohoaError):
    exit_code = 2


class MissingDependencyError(SohoaError):
    """A program or language pack sohoa needs is not installed."""

    exit_code = 3


class InboxError(SohoaError):
    exit_code = 4


class RegisterFileError(SohoaError):
    """A register export that cannot be read at all (a missing column, not a
    CSV or XLSX); bad rows are reported one by one instead."""

    exit_code = 8


class RejectedInput(SohoaError):
    """This file cannot be digitized; it goes to quarantine with ``reason``."""

    def __init__(self, code: RejectCode, message: str) -> None:
        super().__init__(message)
        self.code = code


class ProcessingError(SohoaError):
    """A page could not be processed for a reason other than its input."""


class StorageError(SohoaError):
    exit_code = 5
    retryable = True


class ObjectNotFound(StorageError):
    retryable = False


class IntegrityError(StorageError):
    """Stored bytes do not match their recorded SHA-256."""

    retryable = False


class IndexUnavailable(StorageError):
    exit_code = 6


class DatabaseUnavailable(StorageError):
    """The database (SOHOA_DATABASE) cannot be reached: a retry may pass."""


class AccessRefused(StorageError):
    """A storage service refused sohoa's credentials or permissions: only a
    change of settings helps, so nothing retries it."""

    retryable = False


class IndexAccessRefused(IndexUnavailable, AccessRefused):
    """Elasticsearch refused sohoa's credentials or permissions."""


class MachineFault(ProcessingError):
    """The machine failed, not the file (a full disk, a tool out of time): the
    file stays in the inbox, to be tried again, and is never quarantined."""

    retryable = True


class ToolTimeout(MachineFault):
    """An external program (tesseract, poppler, qpdf) ran past its timeout: on a
    busy machine a retry can succeed, so the page is retried and its file is
    never quarantined for it."""


class SigningServiceUnavailable(MachineFault):
    """The timestamp authority or a revocation server the office's signature
    needs did not answer: the file stays in the inbox and is tried again."""


class PopplerError(ProcessingError):
    """A poppler program failed on a file."""


class PopplerTimeout(PopplerError, ToolTimeout):
    """A poppler program ran past its timeout; a less busy machine may manage."""


class PdfPasswordRequired(PopplerError):
    """The PDF cannot be opened without its user (open) password."""


class OcrTimeout(ToolTimeout):
    """The OCR engine ran past its timeout on a page."""


class InvalidRequest(SohoaError):
    """What a person asked cannot be done as asked: a user name that does not
    exist or already does, a short password, a field that cannot be corrected."""
