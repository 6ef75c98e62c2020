"""Re-fetch the pages' vendored scripts and styles from the npm registry (needs `npm`).

The manifest, `facade/vendor/manifest.json`, names each package, its exact version and
the files the pages load from it. This script downloads each package's tarball with
`npm pack` (which checks the registry's integrity hash), copies those files and the
package's licenses to `facade/vendor/<name>@<version>/`, and writes their sha256 back
into the manifest. Nobody needs Node.js to install or test the CRM: the files it writes
are committed.

    python scripts/vendor_assets.py                   # the manifest's versions, again
    python scripts/vendor_assets.py graphiql@4.1.3    # move packages to other versions
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "facade" / "vendor"
MANIFEST = VENDOR / "manifest.json"
LICENSE_NAMES = ("LICENSE", "LICENSE.md", "LICENSE.txt", "NOTICE")

MIT = """\
{name}@{version} ships no license file; its package.json declares "license": "MIT"
and "author": "{author}". The MIT License, as that declaration grants it:

Copyright (c) {author}

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
"""
"""For a package that declares MIT but ships no license text (@scalar/api-reference)."""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def npm_pack(spec: str, into: Path) -> Path:
    """The tarball of `spec` (`name@version`) from the registry, in `into`."""
    done = subprocess.run(  # noqa: S603 (fixed arguments; the spec comes from the manifest)
        ["npm", "pack", "--silent", "--pack-destination", str(into), spec],  # noqa: S607
        check=True,
        capture_output=True,
        text=True,
    )
    return into / done.stdout.strip().splitlines()[-1]


def member(tar: tarfile.TarFile, path: str) -> bytes | None:
    """The bytes of `package/<path>` in an npm tarball, or `None` when it holds none."""
    try:
        found = tar.extractfile(f"package/{path}")
    except KeyError:
        return None
    return None if found is None else found.read()


def vendor(package: dict[str, Any], work: Path) -> None:
    """Fetch one package's files and licenses; record their digests in `package`."""
    name, version = package["name"], package["version"]
    with tarfile.open(npm_pack(f"{name}@{version}", work), "r:gz") as tar:
        meta = json.loads(member(tar, "package.json") or b"{}")
        if meta.get("version") != version:
            raise SystemExit(f"{name}@{version}: the registry sent {meta.get('version')}")
        target = VENDOR / f"{name}@{version}"
        shutil.rmtree(target, ignore_errors=True)
        wanted = [entry["path"] for entry in package["files"]]
        licenses = [path for path in LICENSE_NAMES if member(tar, path) is not None]
        licenses += [f"{path}.LICENSE.txt" for path in wanted if member(tar, f"{path}.LICENSE.txt")]
        written: dict[str, bytes] = {}
        for path in [*wanted, *licenses]:
            data = member(tar, path)
            if data is None:
                raise SystemExit(f"{name}@{version} has no {path}")
            written[path] = data
        if not set(licenses) & set(LICENSE_NAMES):
            if meta.get("license") != "MIT":
                raise SystemExit(f"{name}@{version} ships no license file: vendor it by hand")
            written["LICENSE"] = MIT.format(
                name=name, version=version, author=meta.get("author", name)
            ).encode()
            licenses.append("LICENSE")
    for path, data in written.items():
        (target / path).parent.mkdir(parents=True, exist_ok=True)
        (target / path).write_bytes(data)
    package["license"] = meta.get("license")
    package["files"] = [{"path": p, "sha256": sha256(written[p])} for p in wanted]
    package["licenses"] = [{"path": p, "sha256": sha256(written[p])} for p in licenses]


def main(specs: list[str]) -> None:
    manifest = json.loads(MANIFEST.read_text())
    packages = {package["name"]: package for package in manifest["packages"]}
    for spec in specs:
        name, _, version = spec.rpartition("@")
        if name not in packages or not version:
            raise SystemExit(f"{spec}: give name@version of a package the manifest lists")
        old = VENDOR / f"{name}@{packages[name]['version']}"
        packages[name]["version"] = version
        shutil.rmtree(old, ignore_errors=True)
    with tempfile.TemporaryDirectory() as work:
        for package in manifest["packages"]:
            vendor(package, Path(work))
            print(f"{package['name']}@{package['version']}: {len(package['files'])} files")
    MANIFEST.write_text(json.dumps(manifest, indent=2) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
