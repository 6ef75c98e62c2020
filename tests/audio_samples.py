"""Small audio files of each accepted format, made in code (headers real, payload silence)."""

from __future__ import annotations

import struct


def wav_header(data_bytes: int, *, channels: int = 1, rate: int = 8000) -> bytes:
    """The 44-byte header of a 16-bit PCM WAV file whose samples take `data_bytes`."""
    block = channels * 2
    return (
        b"RIFF"
        + struct.pack("<I", 36 + data_bytes)
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, channels, rate, rate * block, block, 16)
        + b"data"
        + struct.pack("<I", data_bytes)
    )


def wav(data_bytes: int = 4000, *, declared_data_bytes: int | None = None) -> bytes:
    """A PCM WAV file; `declared_data_bytes` lets the header claim more than is there."""
    declared = data_bytes if declared_data_bytes is None else declared_data_bytes
    return wav_header(declared) + bytes(data_bytes)


def mp3() -> bytes:
    """An MPEG-1 layer III frame header followed by padding."""
    return b"\xff\xfb\x90\x64" + bytes(500)


def mp3_with_id3() -> bytes:
    return b"ID3\x04\x00\x00\x00\x00\x00\x00" + mp3()


def ogg_opus() -> bytes:
    page = b"OggS\x00\x02" + bytes(20) + b"\x01\x13" + b"OpusHead\x01\x01"
    return page + bytes(500)


def webm() -> bytes:
    return b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm" + bytes(500)


def m4a() -> bytes:
    return b"\x00\x00\x00\x20ftypM4A \x00\x00\x02\x00M4A isommp42" + bytes(500)


def flac() -> bytes:
    return b"fLaC\x00\x00\x00\x22" + bytes(500)


ALL_FORMATS = {
    "audio/wav": wav,
    "audio/mpeg": mp3,
    "audio/ogg": ogg_opus,
    "audio/webm": webm,
    "audio/mp4": m4a,
    "audio/flac": flac,
}
