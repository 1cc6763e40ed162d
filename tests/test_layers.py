"""Imports run one way: shell → schema → resolvers → kernel → models (STYLE.md); tests and
benchmarks share code through ``tests/support`` only.

Each module's imports are read from its source (lazy imports inside functions included) and
checked against the table below, so an import against the direction fails here, not in review.
"""

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Each package may import itself and the packages listed for it, nothing else of ours.
ALLOWED = {
    "comptroller": {"schema", "resolvers", "kernel", "models"},  # the app shell
    "schema": {"resolvers", "kernel", "models"},
    "resolvers": {"kernel", "models"},
    "kernel": {"models"},
    "models": set[str](),
}
OURS = set(ALLOWED) | {"tests", "bench"}

# Inside resolvers/, a capability uses the shared modules (arguments, pagination, rollups, ...)
# and no other capability, except the request log's total count, which reads the dashboards'
# rollup sums.
CAPABILITIES = {"governance", "ingestion", "dashboards", "request_log"}
CAPABILITY_USES = {"request_log": {"dashboards"}}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def source_modules(package: str) -> Iterator[Path]:
    for path in sorted((ROOT / package).rglob("*.py")):
        if "migrations" not in path.parts:
            yield path


def imported_modules(path: Path) -> Iterator[str]:
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module
            # ``from resolvers import dashboards`` imports resolvers.dashboards
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def capability_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] == "resolvers" and len(parts) > 1 and parts[1] in CAPABILITIES:
        return parts[1]
    return None


def wrong_imports(package: str) -> list[str]:
    found = []
    for path in source_modules(package):
        importer = module_name(path)
        for imported in imported_modules(path):
            top = imported.split(".")[0]
            if top not in OURS or top == package:
                continue
            if top not in ALLOWED[package]:
                found.append(f"{importer} imports {imported}")
    return found


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_the_layers_below_it(package: str) -> None:
    assert wrong_imports(package) == []


def test_resolver_capabilities_do_not_import_each_other() -> None:
    found = []
    for path in source_modules("resolvers"):
        importer = capability_of(module_name(path))
        for imported in imported_modules(path):
            used = capability_of(imported)
            allowed = {importer} | CAPABILITY_USES.get(importer or "", set())
            if importer and used and used not in allowed:
                found.append(f"{module_name(path)} imports {imported}")
    assert found == []


def test_no_module_imports_a_test_module() -> None:
    # What two test modules share lives in tests/support: a test module is no library.
    found = [
        f"{module_name(path)} imports {imported}"
        for package in ("tests", "bench")
        for path in source_modules(package)
        for imported in imported_modules(path)
        if imported.startswith("tests.test_")
    ]
    assert found == []


def test_benchmarks_import_only_the_support_of_the_tests() -> None:
    found = []
    for path in source_modules("bench"):
        for imported in imported_modules(path):
            parts = imported.split(".")
            if parts[0] == "tests" and len(parts) > 1 and parts[1] != "support":
                found.append(f"{module_name(path)} imports {imported}")
    assert found == []


def test_the_table_sees_every_package() -> None:
    # A new top-level package must take its place in the table before it can be imported.
    packages = {
        path.parent.name
        for path in ROOT.glob("*/__init__.py")
        if path.parent.name not in {"tests", "bench"}
    }
    assert packages == set(ALLOWED)


def test_the_image_copies_every_package() -> None:
    copied = {
        line.split()[1]
        for line in (ROOT / "Dockerfile").read_text().splitlines()
        if line.startswith("COPY ")
    }
    assert set(ALLOWED) <= copied
