"""Per-process access to settings and backends. Tasks may run on another
host or process, so each process builds its own clients from the environment;
nothing stateful crosses a task boundary."""

from __future__ import annotations

from functools import cache

from sohoa.core.settings import Settings, load_settings
from sohoa.storage.factory import open_object_store, open_search_index
from sohoa.storage.protocols import ObjectStore, SearchIndex


@cache
def settings() -> Settings:
    return load_settings()


@cache
def object_store() -> ObjectStore:
    return open_object_store(settings())


@cache
def search_index() -> SearchIndex:
    index = open_search_index(settings())
    index.setup()
    return index


def reset() -> None:
    """Forget cached settings and clients (after the environment changed)."""
    if search_index.cache_info().currsize:
        search_index().close()
    search_index.cache_clear()
    object_store.cache_clear()
    settings.cache_clear()
