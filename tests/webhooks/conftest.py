"""The webhook tests' app: loopback targets allowed (explicitly, for tests only), quick
polls and short backoff, so retries happen within a test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crm.settings import Settings
from tests.conftest import make_settings
from tests.webhooks.receiver import Receiver, running_receiver

FAST_DELIVERY: dict[str, Any] = {
    "webhook_worker": True,
    "webhook_allow_networks": "127.0.0.0/8",
    "webhook_poll_s": 0.05,
    "webhook_backoff_base_s": 0.05,
    "webhook_backoff_max_s": 0.2,
    "webhook_timeout_s": 1.0,
}
"""The settings of a test app whose webhooks go to a receiver on 127.0.0.1."""


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, **FAST_DELIVERY)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as found:
        yield found
