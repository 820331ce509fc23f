"""The configuration is documented where a deployer looks (issue 2): every variable the settings
read is in README's configuration table and in `.env.example`, and `docker-compose.yml` runs
what README promises (postgres, redis, the web app under gunicorn, a Celery worker and beat)."""

import re
from pathlib import Path

import yaml  # PyYAML, installed with bandit (dev extra)
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
SETTINGS = (ROOT / "zhenhai_so" / "settings.py").read_text(encoding="utf-8")
README = (ROOT / "README.md").read_text(encoding="utf-8")
ENV_EXAMPLE = (ROOT / ".env.example").read_text(encoding="utf-8")


def _variables() -> set[str]:
    """Every environment variable zhenhai_so/settings.py reads."""
    names = set(re.findall(r"\benv(?:\.\w+)?\(\s*\"([A-Z][A-Z0-9_]*)\"", SETTINGS))
    for secret in re.findall(r"\benv_secret\(\s*\"([A-Z][A-Z0-9_]*)\"", SETTINGS):
        names |= {secret, f"{secret}_FILE"}
    return names


def _readme_table() -> str:
    section = README.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    return "\n".join(line for line in section.splitlines() if line.startswith("|"))


def test_the_settings_read_the_variables_this_test_knows_of():
    """The pattern finds the variables (an empty set would make the next tests pass vacuously)."""
    names = _variables()
    assert {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "SECRET_KEY_FILE", "DEBUG"} <= names
    assert len(names) >= 30


def test_every_setting_variable_is_in_the_readme_table():
    table = _readme_table()
    missing = sorted(n for n in _variables() if f"`{n}`" not in table)
    assert missing == []


def test_every_setting_variable_is_in_env_example():
    missing = sorted(n for n in _variables() if not re.search(rf"\b{n}=", ENV_EXAMPLE))
    assert missing == []


def test_env_example_names_only_variables_the_settings_read():
    """A stale name in .env.example would be set and silently ignored."""
    # docker-compose.yml's, and manage.py grant_runtime_role --create's, not the settings'
    known = _variables() | {"POSTGRES_PASSWORD", "RUNTIME_DB_PASSWORD"}
    names = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", ENV_EXAMPLE, re.M))
    assert names - known == set()


def _compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def test_compose_runs_postgres_redis_web_worker_and_beat():
    services = _compose()["services"]
    assert {"postgres", "redis", "web", "worker", "beat"} <= set(services)
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")
    # the web service runs the image's command: gunicorn
    assert "command" not in services["web"]
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r'^CMD \["gunicorn", "zhenhai_so\.wsgi"', dockerfile, re.M)
    assert services["worker"]["command"][:4] == ["celery", "-A", "zhenhai_so", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "zhenhai_so", "beat"]
    for name in ("web", "worker", "beat", "migrate"):
        environment = services[name]["environment"]
        assert environment["DATABASE_URL"].startswith("postgres://")
        assert environment["REDIS_URL"].startswith("redis://redis:")
        assert environment["SECRET_KEY_FILE"].startswith("/run/secrets/")


def test_compose_serves_the_static_files_the_image_collected():
    """The image collects the static files at build time into the default STATIC_ROOT; a
    STATIC_ROOT taken from .env would point whitenoise at an empty folder and every page would
    fail on the missing manifest, so the compose file pins it."""
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    workdir = re.search(r"^WORKDIR (\S+)", dockerfile, re.M).group(1)
    assert "collectstatic" in dockerfile
    services = _compose()["services"]
    for name in ("web", "worker", "beat"):
        assert services[name]["environment"]["STATIC_ROOT"] == f"{workdir}/staticfiles"


def test_env_example_keeps_comments_off_value_lines():
    """django-environ keeps `A=1  # note` as the value `1  # note`."""
    assert re.findall(r"^[A-Z][A-Z0-9_]*=[^\n]*[ \t]#", ENV_EXAMPLE, re.M) == []


def test_the_image_leaves_out_local_state_and_secrets():
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert {".env", ".venv", "secrets", "db.sqlite3", "media"} <= set(ignored)
