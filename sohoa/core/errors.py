"""One hierarchy of errors. Each message tells the person at the scanner or
the desk what to do; ``retryable`` says whether trying again can help. Only
the CLI turns these into exit codes."""

from __future__ import annotations


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


class RejectedInput(SohoaError):
    """This file cannot be digitized; it goes to quarantine with ``reason``."""

    def __init__(self, code: str, message: str) -> None:
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


class ToolTimeout(ProcessingError):
    """An external program (tesseract, poppler, qpdf) ran past its timeout;
    a less busy machine may manage, so trying again can help."""

    retryable = True


class PopplerError(ProcessingError):
    """A poppler program failed on a file."""


class PopplerTimeout(PopplerError, ToolTimeout):
    """A poppler program ran past its timeout; a less busy machine may manage."""

    retryable = True


class PdfPasswordRequired(PopplerError):
    """The PDF cannot be opened without its user (open) password."""


class OcrTimeout(ToolTimeout):
    """The OCR engine ran past its timeout on a page."""
