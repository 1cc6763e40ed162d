"""schema.graphql is what clients are written against: it must match the code exactly."""

import subprocess
import sys
from pathlib import Path

from comptroller.settings import REPOSITORY_ROOT
from schema import build_schema

CONTRACT_CHECK = REPOSITORY_ROOT.parent / "shared" / "tools" / "contract-check"


def test_schema_file_matches_the_code() -> None:
    on_disk = (REPOSITORY_ROOT / "schema.graphql").read_text()
    assert on_disk == build_schema().as_str() + "\n", (
        "schema.graphql is stale: run `comptroller export-schema`"
    )


def test_export_schema_writes_the_sdl(tmp_path: Path) -> None:
    target = tmp_path / "out.graphql"
    done = subprocess.run(
        [sys.executable, "-m", "comptroller", "export-schema", "--output", str(target)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert target.read_text() == (REPOSITORY_ROOT / "schema.graphql").read_text()


def test_contract_types_keep_their_names_and_shapes() -> None:
    """What the contract names and the schema has must agree in type; later issues add
    the fields still missing (contract-check lists them)."""
    if not CONTRACT_CHECK.exists():
        return
    done = subprocess.run(
        [sys.executable, str(CONTRACT_CHECK), str(REPOSITORY_ROOT / "schema.graphql")],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    mismatched = [line for line in done.stdout.splitlines() if "contract says" in line]
    assert mismatched == []
