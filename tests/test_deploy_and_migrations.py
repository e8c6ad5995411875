"""Release checks: the models match the migrations, production settings pass Django's
deployment checklist, and production refuses to start without its secrets.

The production checks run ``manage.py`` in a subprocess: settings are read once per
process, and this one already runs the test settings.
"""

import os
import secrets
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_SECRETS = ("SECRET_KEY", "DATABASE_URL", "ALLOWED_HOSTS")
# Set for this test process (the browser tests' conftest sets the last one), not for a server.
TEST_ONLY = ("DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")


@pytest.mark.django_db
def test_models_and_migrations_agree():
    out = StringIO()
    try:
        call_command("makemigrations", check=True, dry_run=True, interactive=False, stdout=out, stderr=out)
    except SystemExit as exc:  # --check exits 1 when a migration is missing
        pytest.fail(f"makemigrations found model changes without a migration:\n{out.getvalue()}\n(exit {exc.code})")


def production_env(tmp_path: Path, **overrides) -> dict:
    """A production-like environment: long random key, PostgreSQL URL, a real host name."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in PRODUCTION_SECRETS and key not in TEST_ONLY and not key.endswith("_FILE")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="blockscore.settings.production",
        SECRET_KEY=secrets.token_urlsafe(50),
        # Parsed, not connected to: `check` without --database touches no database.
        DATABASE_URL=os.environ.get("DATABASE_URL") or "postgres://blockscore@127.0.0.1:5432/blockscore",
        ALLOWED_HOSTS="blockscore.example.com",
        KYC_ENCRYPTION_KEYS="x3HV8rmbz8Sz3bG0gPSwWjh4ZY2Xq6BTzKXXaF3mZQ8=",
        BLOCKSCORE_VAR_DIR=str(tmp_path / "var"),
        PYTHONDONTWRITEBYTECODE="1",
    )
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def manage(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deployment_checklist(tmp_path):
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env(tmp_path))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_secrets_may_come_from_files(tmp_path):
    # Docker/Kubernetes secrets: NAME_FILE points at a file that holds the value.
    key_file = tmp_path / "secret_key"
    key_file.write_text(secrets.token_urlsafe(50) + "\n")
    env = production_env(tmp_path, SECRET_KEY=None, SECRET_KEY_FILE=str(key_file))

    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)

    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("missing", PRODUCTION_SECRETS)
def test_production_refuses_to_start_without_its_secrets(tmp_path, missing):
    result = manage("check", env=production_env(tmp_path, **{missing: None}))

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert missing in result.stderr.strip().splitlines()[-1]


def test_production_refuses_a_short_secret_key(tmp_path):
    result = manage("check", env=production_env(tmp_path, SECRET_KEY="too-short"))

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr.strip().splitlines()[-1]
