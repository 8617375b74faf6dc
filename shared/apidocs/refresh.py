"""Re-vendor the API docs assets: `python -m shared.apidocs.refresh [pkg@version ...]`.

Runs `npm pack` (npm checks the tarball against the registry's integrity hash), copies the
files the pages need unchanged into `vendor/<folder>/` and rewrites VENDORED.json with each
file's package, version, path in the tarball and sha256. tests/shared/test_apidocs.py
recomputes those hashes, so an edited or unlisted file fails the tests.
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

from shared.apidocs.assets import MANIFEST, VENDOR_DIR

# npm package → (folder under vendor/, files (glob patterns) in the tarball's package/ folder).
PICKS: dict[str, tuple[str, tuple[str, ...]]] = {
    "swagger-ui-dist": (
        "swagger_ui",
        (
            "swagger-ui-bundle.js",
            "swagger-ui-bundle.js.LICENSE.txt",
            "swagger-ui.css",
            "favicon-32x32.png",
            "LICENSE",
            "NOTICE",
        ),
    ),
    # ReDoc 3 is not used: it reports usage to otel.cloud.redocly.com unless told not to, and
    # its sidebar always loads a logo from cdn.redoc.ly (a blocked request on a county network).
    "redoc": (
        "redoc",
        (
            "bundles/redoc.standalone.js",
            "bundles/redoc.standalone.js.LICENSE.txt",
            "bundles/*.worker.js.LICENSE.txt",  # the search worker, inlined in the bundle
            "LICENSE",
        ),
    ),
    # The portal's pages (services/portal): htmx stays on the 2.x line (4 changed defaults).
    "htmx.org": ("htmx", ("dist/htmx.min.js", "LICENSE")),
    "echarts": ("echarts", ("dist/echarts.min.js", "LICENSE", "NOTICE")),
}
DEFAULT_SPECS = ("swagger-ui-dist@5.35.0", "redoc@2.5.4", "htmx.org@2.0.11", "echarts@6.1.0")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def vendor(spec: str, work: Path) -> dict[str, Any]:
    name = spec.rpartition("@")[0] or spec
    folder, wanted = PICKS[name]
    packed = subprocess.run(
        ["npm", "pack", spec, "--json", "--pack-destination", str(work)],
        check=True,
        capture_output=True,
        text=True,
    )
    [info] = json.loads(packed.stdout)
    with tarfile.open(work / info["filename"]) as tar:
        tar.extractall(work / name, filter="data")
    package_dir = work / name / "package"
    meta = json.loads((package_dir / "package.json").read_text(encoding="utf-8"))
    target = VENDOR_DIR / folder
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    files = []
    for pattern in wanted:
        found = sorted(package_dir.glob(pattern))
        if not found:
            raise SystemExit(f"{spec}: no {pattern} in the tarball")
        for source in found:
            copied = target / source.name
            shutil.copyfile(source, copied)
            files.append(
                {
                    "name": copied.name,
                    "source": source.relative_to(work / name).as_posix(),
                    "sha256": _sha256(copied),
                }
            )
    return {
        "name": name,
        "version": meta["version"],
        "license": meta["license"],
        "folder": folder,
        "tarball": f"https://registry.npmjs.org/{name}/-/{name}-{meta['version']}.tgz",
        "integrity": info["integrity"],
        "files": files,
    }


def main(argv: list[str]) -> None:
    specs = argv or list(DEFAULT_SPECS)
    with tempfile.TemporaryDirectory() as tmp:
        fresh = {p["name"]: p for p in (vendor(spec, Path(tmp)) for spec in specs)}
    # A package not named on the command line keeps its entry.
    kept = json.loads(MANIFEST.read_text("utf-8"))["packages"] if MANIFEST.exists() else []
    packages = [fresh.pop(p["name"], p) for p in kept] + list(fresh.values())
    manifest = {
        "about": "Files copied unchanged from npm tarballs (npm pack); "
        "regenerate with `python -m shared.apidocs.refresh pkg@version ...`.",
        "packages": packages,
    }
    MANIFEST.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", "utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
