import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_check_deploy_is_clean_with_production_settings():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env |= {"DEBUG": "0", "SECRET_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": "crm.example.com",
           "DATABASE_URL": os.environ.get("DATABASE_URL") or "sqlite:////tmp/touchpoint-deploy-check.sqlite3"}  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-m", "touchpoint", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env.update({"DEBUG": "0", "ALLOWED_HOSTS": "crm.example.com"})
    result = subprocess.run(
        [sys.executable, "-m", "touchpoint", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
        check=False,
    )  # fmt: skip
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
