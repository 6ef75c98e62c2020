"""Which audio formats a recording may be, told from its first bytes, not its declared type."""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

SNIFF_BYTES = 64
"""How many leading bytes `sniff` needs to tell every accepted format."""

MARKUP_SCAN_BYTES = 4096
"""How many leading bytes are searched for HTML or script markup (a polyglot file)."""

# Tags a browser would run or render if it took the file for a page. Only names of three
# letters or more, so that the chance of random audio bytes matching stays near one in a million.
_MARKUP = re.compile(
    rb"<(?:!doctype|\?xml|html|head|body|script|iframe|frame|frameset|svg|img|object|embed"
    rb"|style|meta|link|form|base|math|title|template|video|audio|input|button)[\s/>]",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class AudioFormat:
    """An accepted recording format: what it is served as and its file extension."""

    name: str
    content_type: str
    extension: str


WAV = AudioFormat("WAV", "audio/wav", ".wav")
MP3 = AudioFormat("MP3", "audio/mpeg", ".mp3")
OGG = AudioFormat("OGG", "audio/ogg", ".ogg")
WEBM = AudioFormat("WebM", "audio/webm", ".webm")
MP4 = AudioFormat("MP4", "audio/mp4", ".m4a")
FLAC = AudioFormat("FLAC", "audio/flac", ".flac")

ACCEPTED = (WAV, MP3, OGG, WEBM, MP4, FLAC)

_EBML = b"\x1a\x45\xdf\xa3"
_RIFF_UNKNOWN_SIZES = (0, 0xFFFFFFFF)
"""RIFF sizes a streaming writer leaves when it does not know the length yet."""


def sniff(head: bytes) -> AudioFormat | None:
    """The format the leading bytes `head` belong to, or `None` when it is none we accept."""
    if head[:4] in (b"RIFF", b"RF64") and head[8:12] == b"WAVE":
        return WAV
    if head[:4] == b"fLaC":
        return FLAC
    if head[:4] == b"OggS":
        return OGG
    if head[:4] == _EBML and b"webm" in head[:SNIFF_BYTES]:
        return WEBM
    if head[4:8] == b"ftyp":
        return MP4
    if head[:3] == b"ID3" or _is_mpeg_audio_frame(head):
        return MP3
    return None


def _is_mpeg_audio_frame(head: bytes) -> bool:
    # 11 sync bits, then a version that is not "reserved" and a layer that is not "reserved"
    # (layer 00 is also AAC in ADTS, which is not MP3).
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return False
    version = (head[1] >> 3) & 0b11
    layer = (head[1] >> 1) & 0b11
    bitrate = head[2] >> 4
    return version != 0b01 and layer != 0b00 and bitrate != 0b1111


def holds_markup(head: bytes) -> bool:
    """Whether the first `MARKUP_SCAN_BYTES` of a file hold HTML or script markup: an audio
    header followed by a page is a polyglot, which a browser could be led to run."""
    return _MARKUP.search(head[:MARKUP_SCAN_BYTES]) is not None


def missing_bytes(fmt: AudioFormat, head: bytes, size: int) -> int:
    """How many bytes the file's own header says are missing (0 when it looks whole).

    Only WAV states its length up front; the other formats are checked by the
    transport (Content-Length, the multipart boundary).
    """
    if fmt is WAV and head[:4] == b"RIFF" and len(head) >= 8:
        riff_size = int(struct.unpack_from("<I", head, 4)[0])
        if riff_size not in _RIFF_UNKNOWN_SIZES:
            return max(0, riff_size + 8 - size)
    return 0


def accepted_names() -> str:
    return ", ".join(fmt.name for fmt in ACCEPTED)
