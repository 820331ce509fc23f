"""Redis configured but down (a closed port) or hung (a port that accepts and never answers):
pages still answer within 5 s, the cache degrades, the job is saved and the user is told it
could not be queued; the sweeper hands it over once the broker is back."""

import contextlib
import socket
import threading
import time

import pytest
from django.contrib.messages import get_messages
from django.core.cache import caches
from django.urls import reverse
from django.utils import timezone

from tests.factories import OrganisationFactory
from tests.tasks.conftest import THRESHOLD
from zhenhai_so import jobs
from zhenhai_so.cache import DegradingRedisCache
from zhenhai_so.celery import app
from zhenhai_so.models import Download

pytestmark = pytest.mark.services  # a real (broken) broker: no eager tasks

CLOSED = "redis://127.0.0.1:6390/5"


@contextlib.contextmanager
def hung_server():
    """A TCP port that accepts connections and never says a word."""
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen(50)
    server.settimeout(0.2)
    accepted, stop = [], threading.Event()

    def serve():
        while not stop.is_set():
            with contextlib.suppress(OSError):
                accepted.append(server.accept()[0])

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"redis://127.0.0.1:{server.getsockname()[1]}/5"
    finally:
        stop.set()
        thread.join()
        for connection in accepted:
            connection.close()
        server.close()


@pytest.fixture
def broken_redis(settings):
    """Point the broker and the cache at ``url`` for the test."""
    saved = app.conf.broker_url, app.conf.task_always_eager

    def point_at(url):
        settings.CACHES = {
            "default": {
                "BACKEND": "zhenhai_so.cache.DegradingRedisCache",
                "LOCATION": url,
                "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
            }
        }
        DegradingRedisCache._down_until = 0.0
        app.conf.broker_url, app.conf.task_always_eager = url, False
        app._after_fork()  # drop pooled connections: new ones are made from the new URL

    yield point_at
    app.conf.broker_url, app.conf.task_always_eager = saved
    app._after_fork()
    DegradingRedisCache._down_until = 0.0
    caches["default"].close()


@pytest.fixture
def many_organisations(township):
    return OrganisationFactory.create_batch(THRESHOLD + 2, township=township)


def _timed_get(client, url, data=None):
    started = time.monotonic()
    response = client.get(url, data or {})
    return response, time.monotonic() - started


def _check_pages_answer(client):
    # An export over the threshold: saved, not queued, said so, in well under 5 s.
    response, seconds = _timed_get(
        client, reverse("registry:organisation_list"), {"export": "xlsx"}
    )
    assert seconds < 5
    download = Download.objects.get()
    assert response.status_code == 302
    assert download.state == Download.State.QUEUED
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("暂时无法提交后台任务" in t for t in texts), texts  # "could not be queued"
    # The download page and a public page that counts requests in the cache.
    for url in (
        reverse("jobs:download_detail", kwargs={"pk": download.pk}),
        reverse("registry:organisation_list"),
    ):
        response, seconds = _timed_get(client, url)
        assert response.status_code == 200 and seconds < 5, url
    client.logout()
    response, seconds = _timed_get(client, reverse("disclosure:search"))
    assert response.status_code == 200 and seconds < 5
    return download


def test_pages_answer_when_redis_is_down(
    reference_restored, transactional_db, client_for, staff, many_organisations, broken_redis
):
    broken_redis(CLOSED)
    download = _check_pages_answer(client_for(staff))
    # Redis back (eager here): the sweeper hands the saved job over and it is made.
    app.conf.task_always_eager = True
    later = timezone.now() + jobs.STUCK_AFTER * 2
    assert jobs.requeue_stuck(now=later) == 1
    download.refresh_from_db()
    assert download.state == Download.State.DONE


def test_pages_answer_when_redis_hangs(
    reference_restored, transactional_db, client_for, staff, many_organisations, broken_redis
):
    with hung_server() as url:
        broken_redis(url)
        _check_pages_answer(client_for(staff))


def test_the_cache_answers_as_empty_when_redis_is_down(broken_redis):
    broken_redis(CLOSED)
    cache = caches["default"]
    started = time.monotonic()
    assert cache.get("anything", "default") == "default"
    assert cache.add("k", 1) is False
    assert cache.incr("k") == 1
    assert time.monotonic() - started < 2.5  # one connect timeout, then it stops asking
