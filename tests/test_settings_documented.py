"""Every setting is documented: in the README's configuration table and in `.env.example`."""

from __future__ import annotations

from pathlib import Path

import pytest

from crm.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("document", ["README.md", ".env.example"])
def test_every_setting_is_named_in(document: str) -> None:
    text = (ROOT / document).read_text()
    missing = [name for name in Settings.model_fields if f"CRM_{name.upper()}" not in text]
    assert not missing, f"{document} does not name: {missing}"
