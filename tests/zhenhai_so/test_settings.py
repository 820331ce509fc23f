"""Settings fall back to the embedded defaults and use the real services when URLs are set."""

import json
import os
import subprocess
import sys

from django.conf import settings

PROBE = (
    "import django, json; from django.conf import settings; django.setup(); "
    "print(json.dumps({'db': settings.DATABASES['default']['ENGINE'], "
    "'cache': settings.CACHES['default']['BACKEND'], 'eager': settings.CELERY_TASK_ALWAYS_EAGER, "
    "'broker': settings.CELERY_BROKER_URL, 'debug': settings.DEBUG, "
    "'secure': settings.SESSION_COOKIE_SECURE}))"
)


def _settings_with(**env):
    base = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG"}}
    base.update({"DJANGO_SETTINGS_MODULE": "zhenhai_so.settings", "SECRET_KEY": "probe", **env})
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        env=base,
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_embedded_defaults_when_urls_are_unset():
    probe = _settings_with()
    assert probe["db"] == "django.db.backends.sqlite3"
    assert probe["cache"] == "django.core.cache.backends.locmem.LocMemCache"
    assert probe["eager"] is True
    assert probe["broker"] == "memory://"


def test_real_services_when_urls_are_set():
    probe = _settings_with(
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/zhenhai",
        REDIS_URL="redis://127.0.0.1:6379/0",
    )
    assert probe["db"] == "django.db.backends.postgresql"
    # Django's Redis cache, logging and carrying on when Redis is down (zhenhai_so.cache)
    assert probe["cache"] == "zhenhai_so.cache.DegradingRedisCache"
    assert probe["eager"] is False
    assert probe["broker"] == "redis://127.0.0.1:6379/0"


def test_secure_by_default():
    probe = _settings_with()
    assert probe["debug"] is False
    assert probe["secure"] is True


def test_secret_key_required_outside_debug():
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    env["DJANGO_SETTINGS_MODULE"] = "zhenhai_so.settings"
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env,
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        check=False,
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_secret_key_read_from_file(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("from-a-file\n")
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY"}}
    env.update({"DJANGO_SETTINGS_MODULE": "zhenhai_so.settings", "SECRET_KEY_FILE": str(secret)})
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; from django.conf import settings; django.setup(); "
            "print(settings.SECRET_KEY)",
        ],
        env=env,
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        check=False,
    )
    assert result.stdout.strip() == "from-a-file"


def test_login_rate_limit_is_set_from_the_environment():
    probe = (
        "import django, json; from django.conf import settings; django.setup(); "
        "print(json.dumps([settings.LOGIN_RATE_LIMIT, settings.LOGIN_RATE_WINDOW]))"
    )
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(DJANGO_SETTINGS_MODULE="zhenhai_so.settings", SECRET_KEY="probe")
    values = []
    for extra in ({}, {"LOGIN_RATE_LIMIT": "5", "LOGIN_RATE_WINDOW": "300"}):
        result = subprocess.run(
            [sys.executable, "-c", probe],
            env={**env, **extra},
            capture_output=True,
            text=True,
            cwd=settings.BASE_DIR,
            check=True,
        )
        values.append(json.loads(result.stdout.strip().splitlines()[-1]))
    assert values == [[20, 60], [5, 300]]
