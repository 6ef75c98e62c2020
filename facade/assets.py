"""The pages' scripts and styles (GraphiQL's, Scalar's, Swagger UI's), vendored and served here.

Every file a page loads comes from `facade/vendor/`, pinned in its manifest, so the pages
work with no internet access and their CSP allows only the app's own origin. A file's URL
names its package and version, so it never changes: browsers may keep it for a year.
"""

from __future__ import annotations

import base64
import gzip
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path, PurePosixPath
from typing import Any

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException

VENDOR = Path(__file__).resolve().parent / "vendor"
MANIFEST = VENDOR / "manifest.json"
ASSETS_PATH = "/assets"
CACHE_FOREVER = "public, max-age=31536000, immutable"
MEDIA_TYPES = {".js": "text/javascript", ".css": "text/css"}  # Litestar adds the charset


@dataclass(frozen=True)
class Asset:
    """One vendored file: its package, the path inside that package, and its sha256 (hex)."""

    package: str
    version: str
    path: str
    sha256: str

    @property
    def url(self) -> str:
        return f"{ASSETS_PATH}/{self.package}@{self.version}/{self.path}"

    @property
    def file(self) -> Path:
        return VENDOR / f"{self.package}@{self.version}" / self.path

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[PurePosixPath(self.path).suffix]

    @property
    def integrity(self) -> str:
        """The Subresource Integrity value of the file, for the tag that loads it."""
        return "sha256-" + base64.b64encode(bytes.fromhex(self.sha256)).decode()


def manifest() -> dict[str, Any]:
    """The vendored packages, as `scripts/vendor_assets.py` wrote them."""
    data: dict[str, Any] = json.loads(MANIFEST.read_text(encoding="utf-8"))
    return data


@cache
def assets() -> dict[str, Asset]:
    """Every vendored file the pages may load, by its URL."""
    found = [
        Asset(package["name"], package["version"], entry["path"], entry["sha256"])
        for package in manifest()["packages"]
        for entry in package["files"]
    ]
    return {asset.url: asset for asset in found}


def asset(package: str, path: str) -> Asset:
    """The vendored `path` of `package`; a page naming a file the manifest lacks fails at once."""
    for candidate in assets().values():
        if candidate.package == package and candidate.path == path:
            return candidate
    raise LookupError(f"{package}/{path} is not vendored (facade/vendor/manifest.json)")


def script(package: str, path: str) -> str:
    """A `<script>` loading a vendored file, held to its digest."""
    found = asset(package, path)
    return f'<script src="{found.url}" integrity="{found.integrity}"></script>'


def stylesheet(package: str, path: str) -> str:
    """A stylesheet `<link>` to a vendored file, held to its digest."""
    found = asset(package, path)
    return f'<link rel="stylesheet" href="{found.url}" integrity="{found.integrity}">'


def script_json(value: object) -> str:
    """`value` as a JavaScript literal that cannot close the `<script>` holding it."""
    return json.dumps(value).replace("<", "\\u003c")


@cache
def _body(url: str, compressed: bool) -> bytes:
    data = assets()[url].file.read_bytes()
    return gzip.compress(data, compresslevel=6, mtime=0) if compressed else data


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an `Accept-Encoding` value allows gzip (named, or `*`, without `q=0`)."""
    for part in accept_encoding.split(","):
        coding, *params = (piece.strip().lower() for piece in part.split(";"))
        if coding in ("gzip", "*"):
            return not any(param.replace(" ", "") in ("q=0", "q=0.0", "q=0.00") for param in params)
    return False


@get(
    f"{ASSETS_PATH}/{{path:path}}",
    include_in_schema=False,  # open to all: `/assets/` is among the open paths (auth/policy.py)
    sync_to_thread=False,
)
def vendored_asset(path: str, request: Request[Any, Any, Any]) -> Response[bytes]:
    """A vendored file, gzipped when the browser takes it, cached for good (its URL is pinned)."""
    url = ASSETS_PATH + path
    found = assets().get(url)
    if found is None:
        raise NotFoundException("no such asset")
    compressed = accepts_gzip(request.headers.get("accept-encoding", ""))
    etag = f'"{found.sha256}{"-gzip" if compressed else ""}"'  # one per encoding
    headers = {"Cache-Control": CACHE_FOREVER, "ETag": etag, "Vary": "Accept-Encoding"}
    if etag in request.headers.get("if-none-match", ""):
        return Response(b"", status_code=304, headers=headers)
    if compressed:
        headers["Content-Encoding"] = "gzip"
    return Response(_body(url, compressed), media_type=found.media_type, headers=headers)
