"""Records as clerks use them: search, open one by its id (or the first
characters of it), and the links to its files."""

from __future__ import annotations

from sohoa.app import backends
from sohoa.models import Record, SearchQuery, SearchResults
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
