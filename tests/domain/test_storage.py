"""The filesystem storage never names a file outside its folder, whatever the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from crm.domain.storage import FilesystemStorage, InvalidKey

HOSTILE_KEYS = [
    "",
    "/etc/passwd",
    "../outside.wav",
    "a/../../outside.wav",
    "a/./b.wav",
    "a//b.wav",
    ".incoming/x.part",
    "..",
    "a\\..\\b.wav",
    "a/b.wav\x00.txt",
    "~/x.wav",
    "a/" + "x" * 200,
]


@pytest.mark.parametrize("key", HOSTILE_KEYS)
def test_a_key_that_could_escape_the_folder_is_refused(tmp_path: Path, key: str) -> None:
    storage = FilesystemStorage(tmp_path / "recordings")
    with pytest.raises(InvalidKey):
        storage.path_for(key)


@pytest.mark.parametrize("key", HOSTILE_KEYS)
async def test_an_upload_to_a_key_that_could_escape_the_folder_is_refused(
    tmp_path: Path, key: str
) -> None:
    storage = FilesystemStorage(tmp_path / "recordings")
    with pytest.raises(InvalidKey):
        await storage.begin(key, "audio/wav")


def test_a_plain_key_names_a_file_inside_the_folder(tmp_path: Path) -> None:
    storage = FilesystemStorage(tmp_path / "recordings")
    path = storage.path_for("6f1c0e2a-0000-4000-8000-000000000001/0a1b2c.wav")
    assert path.is_relative_to((tmp_path / "recordings").resolve())


def test_a_symlink_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "recordings"
    root.mkdir()
    (root / "link").symlink_to(tmp_path)
    storage = FilesystemStorage(root)
    with pytest.raises(InvalidKey):
        storage.path_for("link/secret.wav")


async def test_a_discarded_pending_file_is_gone(tmp_path: Path) -> None:
    storage = FilesystemStorage(tmp_path / "recordings")
    pending = await storage.begin("6f1c0e2a-0000-4000-8000-000000000001/0a1b2c.wav", "audio/wav")
    await pending.write(b"partial")
    await pending.discard()
    await pending.discard()  # twice is fine
    assert [p for p in (tmp_path / "recordings").rglob("*") if p.is_file()] == []
