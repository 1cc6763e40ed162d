"""The whole check, as the README and CI run it: ``python -m tests [pytest args]``.

Lint, formatting, strict typing, then the test suite on SQLite and on PostgreSQL + Redis.
Stops at the first step that fails and exits with its code.
"""

import subprocess
import sys

STEPS = [
    ["ruff", "check", "."],
    ["ruff", "format", "--check", "."],
    ["mypy"],
]


def main() -> int:
    for step in STEPS:
        print(f"==> {' '.join(step)}", flush=True)  # noqa: T201 - progress for the person waiting
        code = subprocess.call([sys.executable, "-m", *step])
        if code != 0:
            return code
    print("==> pytest", flush=True)  # noqa: T201
    return subprocess.call([sys.executable, "-m", "pytest", *sys.argv[1:]])


if __name__ == "__main__":
    sys.exit(main())
