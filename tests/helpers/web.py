"""Records stored whole (page images, thumbnails, searchable PDF, original,
OCR JSON, manifest) and indexed, without running OCR; users of every role;
signing in to the web app as they do; and the app served by a real uvicorn."""

from __future__ import annotations

import io
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image

from sohoa.models import FieldValue, Record
from sohoa.storage import keys
from sohoa.storage.manifests import save_record
from sohoa.storage.protocols import ObjectStore, SearchIndex
from sohoa.storage.schema.accounts import Role

PASSWORD = "mật khẩu đủ dài 123"
LOW_CONFIDENCE = 35.0


def _jpeg(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("L", (width, height), 235).save(out, "JPEG")
    return out.getvalue()


def _pdf() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (60, 80), "white").save(out, "PDF")
    return out.getvalue()


def store_record(store: ObjectStore, index: SearchIndex, record: Record, **fields: str) -> Record:
    """Write the record's files and manifest, index it; ``fields`` become
    extracted metadata values. Every word is read at 90 except the last of
    each page, read at ``LOW_CONFIDENCE``."""
    rid = record.record_id
    pages = []
    ocr_pages = []
    for page in record.pages:
        store.put_bytes(keys.page_image_key(rid, page.number), _jpeg(120, 160), "image/jpeg")
        store.put_bytes(keys.thumbnail_key(rid, page.number), _jpeg(30, 40), "image/jpeg")
        pages.append(
            page.model_copy(
                update={
                    "image_key": keys.page_image_key(rid, page.number),
                    "thumbnail_key": keys.thumbnail_key(rid, page.number),
                }
            )
        )
        words = page.text.split()
        ocr_pages.append(
            {
                "number": page.number,
                "words": [
                    {
                        "text": w,
                        "confidence": LOW_CONFIDENCE if i == len(words) - 1 else 90.0,
                        "line": 0,
                    }
                    for i, w in enumerate(words)
                ],
            }
        )
    store.put_bytes(keys.searchable_pdf_key(rid), _pdf(), "application/pdf")
    store.put_bytes(
        keys.ocr_key(rid), json.dumps({"pages": ocr_pages}).encode(), "application/json"
    )
    original = record.originals[0]
    store.put_bytes(original.key, b"%PDF-original-" + rid.encode(), "application/pdf")
    extracted = {
        name: (FieldValue(value=value, page=1, confidence=0.9),) for name, value in fields.items()
    }
    whole = record.model_copy(
        update={
            "pages": tuple(pages),
            "searchable_pdf_key": keys.searchable_pdf_key(rid),
            "ocr_key": keys.ocr_key(rid),
            "fields": {**record.fields, **extracted},
        }
    )
    save_record(store, whole)
    assert index.index_records([whole]).errors == {}
    index.refresh()
    return whole


@dataclass(frozen=True)
class Account:
    username: str
    role: Role
    unit: str = ""
    all_units: bool = False


def login(client: TestClient, username: str, password: str = PASSWORD) -> int:
    """Sign in through the login form as a browser does; the status of the post."""
    page = client.get("/login")
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token, "next": "/"},
        follow_redirects=False,
    )
    return response.status_code


def csrf_of(client: TestClient) -> str:
    """The session's CSRF token, read from a page's logout form."""
    page = client.get("/status")
    return page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


@contextmanager
def serving(app: FastAPI, timeout: float = 20.0) -> Iterator[str]:
    """``app`` served by uvicorn, as ``sohoa serve`` does, in a thread of this
    process on a free 127.0.0.1 port; yields its base URL. Fails saying why
    when the server does not start."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    try:
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn did not start on 127.0.0.1:{port} in {timeout:.0f} s")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout)
        listener.close()
