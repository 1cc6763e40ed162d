"""The third-party browser files the pages use, each read from its installed npm package.

``web/package.json`` pins the packages and ``web/package-lock.json`` their integrity hashes;
``npm ci --prefix web`` downloads them, and nothing is built. Only the files named here are
served, under ``/vendor/NAME``, so the rest of ``node_modules`` stays private.
"""

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class VendorFile:
    package: str
    path: str  # inside the package
    media_type: str


VENDOR_FILES = {
    "react.js": VendorFile("react", "umd/react.production.min.js", "text/javascript"),
    "react-dom.js": VendorFile("react-dom", "umd/react-dom.production.min.js", "text/javascript"),
    "graphiql.js": VendorFile("graphiql", "graphiql.min.js", "text/javascript"),
    "graphiql.css": VendorFile("graphiql", "graphiql.min.css", "text/css"),
    "chart.js": VendorFile("chart.js", "dist/chart.umd.min.js", "text/javascript"),
}

INSTALL_HINT = "run `npm ci --prefix web` in the repository (it downloads, it builds nothing)"


def vendor_path(packages_dir: Path, name: str) -> Path | None:
    """Where the file served as ``/vendor/NAME`` lies, or None when NAME is not served."""
    known = VENDOR_FILES.get(name)
    if known is None:
        return None
    return packages_dir / known.package / known.path


def missing_vendor_files(packages_dir: Path) -> list[str]:
    """The served names whose files are not installed (empty when all are)."""
    return [
        name
        for name in VENDOR_FILES
        if not (path := vendor_path(packages_dir, name)) or not path.is_file()
    ]
