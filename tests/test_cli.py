"""The comptroller command, run as a user runs it."""

import sqlite3
from pathlib import Path

from tests.support.backends import command_env, run_cli


def sqlite_env(tmp_path: Path) -> dict[str, str]:
    return command_env(f"sqlite://{tmp_path / 'cli.db'}", "memory://", "cli-test")


def test_init_db_is_safe_to_run_twice(tmp_path: Path) -> None:
    env = sqlite_env(tmp_path)
    first = run_cli(["init-db"], env)
    second = run_cli(["init-db"], env)
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    tables = {
        row[0]
        for row in sqlite3.connect(tmp_path / "cli.db").execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'"
        )
    }
    assert {"users", "projects", "memberships", "requests", "audit_events"} <= tables


def test_create_user_prints_a_working_token_last(tmp_path: Path) -> None:
    env = sqlite_env(tmp_path)
    assert run_cli(["init-db"], env).returncode == 0

    done = run_cli(
        ["create-user", "--email", "Ops@Example.com", "--name", "Ops", "--superuser"], env
    )

    assert done.returncode == 0, done.stderr
    token = done.stdout.strip().splitlines()[-1]
    assert token.startswith("cpt_")
    stored = (
        sqlite3.connect(tmp_path / "cli.db")
        .execute(
            "SELECT u.email, u.is_superuser, t.secret_hash FROM users u "
            "JOIN personal_access_tokens t ON t.user_id = u.id"
        )
        .fetchall()
    )
    assert len(stored) == 1
    email, superuser, secret_hash = stored[0]
    assert (email, bool(superuser)) == ("ops@example.com", True)
    assert token not in secret_hash


def test_create_user_refuses_bad_input(tmp_path: Path) -> None:
    env = sqlite_env(tmp_path)
    assert run_cli(["init-db"], env).returncode == 0
    assert run_cli(["create-user", "--email", "a@example.com", "--name", "A"], env).returncode == 0

    for args in (
        ["--email", "not-an-email", "--name", "B"],
        ["--email", "a@example.com", "--name", "Again"],
        ["--email", "c@example.com", "--name", "   "],
    ):
        done = run_cli(["create-user", *args], env)
        assert done.returncode != 0, args
        assert "Traceback" not in done.stderr + done.stdout
        assert "Invalid argument" in done.stderr


def test_bad_settings_fail_fast_with_a_clear_message(tmp_path: Path) -> None:
    env = sqlite_env(tmp_path) | {"COMPTROLLER_DATABASE_URL": "mysql://x"}
    done = run_cli(["init-db"], env)
    assert done.returncode == 2
    assert "COMPTROLLER_DATABASE_URL" in done.stderr
    assert "Traceback" not in done.stderr


def test_unknown_command_exits_non_zero(tmp_path: Path) -> None:
    done = run_cli(["frobnicate"], sqlite_env(tmp_path))
    assert done.returncode != 0
