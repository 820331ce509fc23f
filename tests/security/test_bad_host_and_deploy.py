"""The 400 answer to a bad Host carries the same security headers as every page, and
``check --deploy`` with the values of ``.env.example`` reports nothing (docs/security.md, P12)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_a_bad_host_gets_400_with_csp_and_frame_options(client):
    response = client.get("/public/", HTTP_HOST="evil.example.com")
    assert response.status_code == 400
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def _env_example() -> dict[str, str]:
    values = {}
    for line in (BASE_DIR / ".env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#") and "=" in line:
            key, _sep, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def test_check_deploy_reports_nothing_with_the_env_example_values(tmp_path):
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        **_env_example(),
        "SECRET_KEY": "x" * 20 + "-a-long-random-secret-key-for-the-deploy-check-only",
        "STATIC_ROOT": str(tmp_path / "static"),
        "MEDIA_ROOT": str(tmp_path / "media"),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "W008" not in result.stdout + result.stderr
