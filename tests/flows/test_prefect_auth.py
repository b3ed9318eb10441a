"""The Prefect API sohoa starts asks for its auth string: another local user
cannot list or start flow runs."""

from __future__ import annotations

import base64
import json
import secrets
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from sohoa.flows.prefect_processes import prefect_server


def _post(url: str, auth: str | None) -> int:
    request = urllib.request.Request(url, data=json.dumps({"limit": 1}).encode(), method="POST")
    request.add_header("Content-Type", "application/json")
    if auth is not None:
        request.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.mark.slow
def test_a_request_without_the_auth_string_is_refused(tmp_path: Path) -> None:
    auth = secrets.token_urlsafe(16)
    with prefect_server(tmp_path / "prefect", {"PREFECT_API_AUTH_STRING": auth}) as api_url:
        assert api_url.startswith("http://127.0.0.1:")
        flow_runs = f"{api_url}/flow_runs/filter"
        assert _post(flow_runs, None) == 401
        assert _post(flow_runs, "a guess") == 401
        assert _post(flow_runs, auth) == 200
