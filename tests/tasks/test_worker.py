"""A real Celery worker (a subprocess, ``celery -A zhenhai_so worker``) against the real Redis
and the test's PostgreSQL database: an import runs to the end with its progress observable
through the page's progress URL, and a worker killed halfway (``kill -9``) leaves the task to
another worker, which writes the data exactly once.

Needs ``REDIS_URL`` and a PostgreSQL ``DATABASE_URL`` (a worker process cannot see SQLite's
in-memory test database): skipped on a laptop without them, failed in CI (REQUIRE_SERVICES=1).
Run: ``REDIS_URL=redis://127.0.0.1:6379/5 DATABASE_URL=postgres://postgres@127.0.0.1:5432/zh_tasks
make test PYTEST_ARGS="tests/tasks/test_worker.py -q"``.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse

from registry.models import Organisation
from tests.conftest import require_service
from tests.tasks.conftest import workbook
from zhenhai_so.celery import app
from zhenhai_so.models import ImportJob

pytestmark = [pytest.mark.slow, pytest.mark.services]

ROWS = 5000
START = reverse("imports:start", kwargs={"kind": "organisations"})


@pytest.fixture
def services():
    url = os.environ.get("REDIS_URL", "")
    if not url:
        require_service("Redis", "REDIS_URL is unset")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        require_service("Redis", str(error))
    if connection.vendor != "postgresql":
        require_service("PostgreSQL", "a worker process needs a database server, not SQLite")
    return url


@pytest.fixture
def queue(services):
    """A queue of this test's own, so no other worker on the same Redis takes its tasks."""
    name = f"test-{uuid.uuid4().hex[:12]}"
    before = app.conf.task_default_queue
    app.conf.task_default_queue = name
    app._after_fork()
    yield name
    app.conf.task_default_queue = before
    app._after_fork()


def _database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return (
        f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        f"/{db['NAME']}"
    )


@pytest.fixture
def start_worker(queue, services, tmp_path):
    """``start_worker(name)``: a worker subprocess on the test's queue and database; all are
    stopped at the end (the whole process group, by its id)."""
    workers = []

    def start(name, **env):
        log = tmp_path / f"{name}.log"
        environment = {
            **os.environ,
            "DATABASE_URL": _database_url(),
            "REDIS_URL": services,
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "SECRET_KEY": "test-only-secret",
            "DEBUG": "0",
            **env,
        }
        process = subprocess.Popen(  # noqa: S603  (our own command line)
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "zhenhai_so",
                "worker",
                "-Q",
                queue,
                "-c",
                "1",
                "-n",
                f"{name}-{queue}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-l",
                "INFO",
            ],
            cwd=Path(settings.BASE_DIR),
            env=environment,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: kill -9 takes the pool child too
        )
        process.log = log
        workers.append(process)
        return process

    yield start
    for process in workers:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _poll(client, job, until, timeout=90, interval=0.02):
    """Read the progress URL until ``until(data)``; returns every answer seen."""
    url = reverse("jobs:import_progress", kwargs={"pk": job.pk})
    seen, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        data = client.get(url).json()
        seen.append(data)
        if until(data):
            return seen
        time.sleep(interval)
    raise AssertionError(f"gave up waiting; last progress {seen[-1:]}")


def _upload(client, org_row):
    response = client.post(START, {"file": workbook(org_row, ROWS)})
    assert response.status_code == 302
    return ImportJob.objects.latest("pk")


def _increasing(values):
    return all(a <= b for a, b in zip(values, values[1:], strict=False))


def test_an_import_runs_to_the_end_on_a_worker_with_progress_observable(
    reference_restored, transactional_db, start_worker, client_for, staff, org_row
):
    worker = start_worker("one")
    client = client_for(staff)
    job = _upload(client, org_row)
    assert job.state == ImportJob.State.UPLOADED  # queued for the worker, not checked here
    seen = _poll(client, job, lambda d: d["finished"])
    job.refresh_from_db()
    assert job.state == ImportJob.State.PREVIEWED, worker.log.read_text()[-3000:]
    assert job.counts["new"] == ROWS

    client.post(reverse("imports:apply", kwargs={"kind": "organisations", "pk": job.pk}))
    seen = _poll(client, job, lambda d: d["finished"])
    done = [d["done"] for d in seen]
    assert _increasing(done)
    assert len({d for d in done if 0 < d < ROWS}) >= 3, done  # the bar moved
    assert seen[-1]["state"] == ImportJob.State.APPLIED
    assert Organisation.objects.count() == ROWS


def test_a_worker_killed_halfway_leaves_the_import_to_another_worker(
    reference_restored, transactional_db, start_worker, client_for, staff, org_row
):
    first = start_worker("first")
    client = client_for(staff)
    job = _upload(client, org_row)
    _poll(client, job, lambda d: d["finished"])
    client.post(reverse("imports:apply", kwargs={"kind": "organisations", "pk": job.pk}))

    # Every row checked, not yet applied: the worker is inside the write transaction (loading
    # the existing records, bulk-creating, logging), which takes ~0.5 s for 5,000 rows. Kill it.
    seen = _poll(client, job, lambda d: d["done"] >= ROWS or d["finished"], interval=0.005)
    assert not seen[-1]["finished"], "the import finished before it could be killed"
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    job.refresh_from_db()
    assert job.state == ImportJob.State.APPLYING
    assert Organisation.objects.count() == 0  # nothing half-written

    # Another worker: the broker hands the unacknowledged task over once its visibility
    # timeout (here 1 s) has passed; the task starts again from the start.
    second = start_worker("second", CELERY_VISIBILITY_TIMEOUT="1")
    seen = _poll(client, job, lambda d: d["finished"], timeout=120)
    job.refresh_from_db()
    assert job.state == ImportJob.State.APPLIED, second.log.read_text()[-3000:]
    assert Organisation.objects.count() == ROWS  # everything, once
    assert job.counts["new"] == ROWS
