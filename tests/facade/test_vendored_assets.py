"""The vendored scripts and styles: the committed files are the manifest's (sha256), their
licenses are beside them, the pages load exactly those files, and `/assets/` serves them
(types, caching, gzip, 304) and nothing else."""

from __future__ import annotations

import gzip
import hashlib
import re

import httpx
import pytest

from facade.assets import CACHE_FOREVER, VENDOR, accepts_gzip, assets, manifest

PAGES = ["/graphql", "/docs", "/docs/swagger"]
_LOADED = re.compile(r"""<(?:script|link)\b[^>]*?\b(?:src|href)=["'](/assets/[^"']+)["']""")


def test_committed_files_match_the_manifest() -> None:
    listed = {VENDOR / "manifest.json"}
    for package in manifest()["packages"]:
        folder = VENDOR / f"{package['name']}@{package['version']}"
        assert package["files"], package["name"]
        assert any(entry["path"] in ("LICENSE", "LICENSE.md") for entry in package["licenses"])
        for entry in [*package["files"], *package["licenses"]]:
            data = (folder / entry["path"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == entry["sha256"], entry["path"]
            listed.add(folder / entry["path"])
    on_disk = {path for path in VENDOR.rglob("*") if path.is_file()}
    assert on_disk == listed  # no stale version, no file the manifest does not name


def test_vendored_files_are_pinned_minified_builds() -> None:
    for asset in assets().values():
        assert re.fullmatch(r"\d+\.\d+\.\d+", asset.version), asset.url
        assert not asset.path.endswith(".map")
    total = sum(asset.file.stat().st_size for asset in assets().values())
    assert total < 10_000_000  # 8.7 MB today, Scalar's standalone build half of it


async def test_pages_load_exactly_the_vendored_files(anonymous: httpx.AsyncClient) -> None:
    loaded: set[str] = set()
    for path in PAGES:
        page = await anonymous.get(path, headers={"Accept": "text/html"})
        assert page.status_code == 200, path
        urls = _LOADED.findall(page.text)
        assert urls, path
        assert set(urls) <= set(assets()), path
        loaded |= set(urls)
    assert loaded == set(assets())


async def test_an_asset_is_served_with_its_type_and_cached_for_good(
    anonymous: httpx.AsyncClient,
) -> None:
    for url, asset in assets().items():
        response = await anonymous.get(url, headers={"Accept-Encoding": "identity"})
        assert response.status_code == 200, url
        assert response.content == asset.file.read_bytes()
        kind = "text/javascript" if url.endswith(".js") else "text/css"
        assert response.headers["content-type"] == f"{kind}; charset=utf-8"
        assert response.headers["cache-control"] == CACHE_FOREVER
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "content-encoding" not in response.headers


async def test_an_asset_is_gzipped_for_a_browser_that_takes_it(
    anonymous: httpx.AsyncClient,
) -> None:
    url, asset = next((url, a) for url, a in assets().items() if "scalar" in url)
    # httpx would decode the body itself; the raw stream shows what was sent
    async with anonymous.stream("GET", url, headers={"Accept-Encoding": "gzip, br"}) as response:
        raw = b"".join([chunk async for chunk in response.aiter_raw()])
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["vary"] == "Accept-Encoding"
    assert gzip.decompress(raw) == asset.file.read_bytes()
    assert len(raw) < asset.file.stat().st_size / 2


async def test_an_asset_answers_304_to_its_etag(anonymous: httpx.AsyncClient) -> None:
    url = next(iter(assets()))
    first = await anonymous.get(url)
    again = await anonymous.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""


@pytest.mark.parametrize(
    "path",
    [
        "/assets/react@18.3.1/LICENSE",
        "/assets/manifest.json",
        "/assets/react@18.3.1/umd/react.development.js",
        "/assets/react@0.0.1/umd/react.production.min.js",
        "/assets/../facade/app.py",
        "/assets/%2e%2e/%2e%2e/pyproject.toml",
        "/assets/react@18.3.1/umd/%2e%2e/LICENSE",
        "/assets/",
    ],
)
async def test_only_the_manifest_files_are_served(anonymous: httpx.AsyncClient, path: str) -> None:
    response = await anonymous.get(path)
    assert response.status_code == 404, path
    assert response.headers["content-type"].startswith("application/json")


async def test_assets_need_no_credentials_and_ignore_bad_ones(
    anonymous: httpx.AsyncClient,
) -> None:
    url = next(iter(assets()))
    response = await anonymous.get(url, headers={"Authorization": "Bearer not-a-key"})
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("header", "takes"),
    [
        ("gzip", True),
        ("gzip, deflate, br", True),
        ("br;q=1.0, gzip;q=0.8", True),
        ("*", True),
        ("", False),
        ("identity", False),
        ("gzip;q=0", False),
        ("GZIP ; q=0.0", False),
        ("br", False),
    ],
)
def test_accept_encoding_is_read_as_http_says(header: str, takes: bool) -> None:
    assert accepts_gzip(header) is takes
