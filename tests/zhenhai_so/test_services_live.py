"""The real PostgreSQL and Redis are used when configured (CI sets REQUIRE_SERVICES=1)."""

import os

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection

from tests.conftest import require_service


@pytest.mark.services
@pytest.mark.django_db
def test_database_is_postgresql_when_required():
    if connection.vendor != "postgresql":
        require_service("PostgreSQL", f"tests run on {connection.vendor}; set DATABASE_URL")
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        assert cursor.fetchone()[0]


@pytest.mark.services
def test_cache_round_trips_through_redis_when_required():
    if not os.environ.get("REDIS_URL"):
        require_service("Redis", "REDIS_URL is unset")
    assert settings.CACHES["default"]["BACKEND"].endswith("RedisCache")
    cache.set("probe", "ok", 10)
    assert cache.get("probe") == "ok"
