"""Records as clerks use them: search, open one by its id (or the first
characters of it), and the links to its files."""

from __future__ import annotations

from sohoa.app import backends
from sohoa.core.errors import ConfigurationError
from sohoa.models import Record, SearchQuery, SearchResults
from sohoa.pipeline.metadata import MetadataRules, load_rules
from sohoa.storage.manifests import find_record_id, load_record


def search(query: SearchQuery) -> SearchResults:
    """Records matching the query, accents optional (see storage/search_semantics.py)."""
    return backends.search_index().search(query)


def open_record(id_or_prefix: str) -> Record:
    """The one stored record whose id starts with ``id_or_prefix``.

    Raises:
        ObjectNotFound: no record, or several, start with it.
    """
    store = backends.object_store()
    return load_record(store, find_record_id(store, id_or_prefix))


def object_link(key: str) -> str:
    """A link to a stored object (presigned and expiring on MinIO)."""
    return backends.object_store().url(key)


def metadata_rules() -> MetadataRules:
    """The office's metadata rules (``SOHOA_METADATA_RULES``) or the shipped ones."""
    return load_rules(backends.settings().metadata_rules)


def declared_document_type(code: str) -> str:
    """A document type code the rules declare, so that a typo in a filter is an
    error rather than an empty result.

    Raises:
        ConfigurationError: listing the declared codes with their labels.
    """
    rules = metadata_rules()
    if rules.document_type(code) is None:
        declared = ", ".join(f"{t.code} ({t.label})" for t in rules.declared_types)
        raise ConfigurationError(
            f"Unknown document type {code!r}. The metadata rules {rules.source} declare: "
            f"{declared}."
        )
    return code


def document_type_label(code: str, language: str = "vi") -> str:
    """The type's label from the rules ("Quyết định", or "Decision" in English),
    or "" for a type they no longer declare (a record keeps the code it was
    stored with)."""
    declared = metadata_rules().document_type(code)
    if declared is None:
        return ""
    return declared.label_en if language == "en" else declared.label
