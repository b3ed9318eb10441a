"""Flow runs of a one-shot command send no heartbeats (whose thread held the
end of every run by up to a second); other runs keep Prefect's default."""

from __future__ import annotations

from prefect import flow
from prefect.settings import get_current_settings

from sohoa.flows.prefect_env import without_heartbeats


@flow(name="heartbeat-setting")
def heartbeat_seen_by_the_run() -> int | None:
    return get_current_settings().flows.heartbeat_frequency


def test_flow_runs_of_a_command_send_no_heartbeats(prefect_server: None) -> None:
    with without_heartbeats():
        assert heartbeat_seen_by_the_run() is None

    assert heartbeat_seen_by_the_run() == get_current_settings().flows.heartbeat_frequency
    assert get_current_settings().flows.heartbeat_frequency is not None
