"""Background work: small thresholds so a few rows make a "large" job, files in the test's own
media directory, and tasks run eagerly unless a test runs a real worker (``worker``)."""

import pytest

from tests.imports.conftest import media_root, org_row, xlsx  # noqa: F401  (fixtures)

THRESHOLD = 5


@pytest.fixture(autouse=True)
def small_background_threshold(settings):
    settings.BACKGROUND_ROWS = THRESHOLD


@pytest.fixture(autouse=True)
def eager_unless_worker(request):
    """Eager in-process tasks, even when REDIS_URL points at a broker, except for tests that
    run a real worker or test an unreachable broker."""
    from zhenhai_so.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = request.node.get_closest_marker("services") is None
    yield
    app.conf.task_always_eager = before


def workbook(make_row, n: int, start: int = 1):
    """An organisations workbook of ``n`` valid rows made by the ``org_row`` fixture."""
    return xlsx([make_row(serial=i) for i in range(start, start + n)])


@pytest.fixture
def reference_restored(django_db_blocker):
    """For tests on ``transactional_db`` (request this fixture first): the flush at their end
    empties the reference data every test database starts with, so load it again."""
    yield
    import os

    from django.core.management import call_command

    with django_db_blocker.unblock():
        call_command("load_reference", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
