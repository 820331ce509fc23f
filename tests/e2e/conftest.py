"""Browser journeys: Playwright for Python driving Debian's chromium (never a downloaded browser)
against pytest-django's live server, in Chinese. Each journey saves screenshots of its main steps
under ``test-artifacts/e2e/<journey>/`` and fails on console errors or failed requests."""

import io
import os
import re
import time
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make to set up
# data are still synchronous, so Django's guard against async contexts must be lifted here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# A background export's page: /jobs/downloads/<pk>/.
DOWNLOAD_PAGE = re.compile(r"/jobs/downloads/\d+/$")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
# The browser itself is the session fixture ``browser`` of tests/conftest.py.


class Journey:
    """A browser page with the journey's screenshot folder and the problems seen so far."""

    def __init__(self, page, live_server, name):
        self.page = page
        self.base = live_server.url
        self.folder = ARTIFACTS / name
        self.folder.mkdir(parents=True, exist_ok=True)
        self.step = 0
        self.problems = []
        page.on(
            "console",
            lambda m: self.problems.append(f"console: {m.text}") if m.type == "error" else None,
        )
        page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        page.on("requestfailed", self._request_failed)
        page.on(
            "response",
            lambda r: (
                self.problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None
            ),
        )
        page.on("dialog", lambda d: d.accept())

    def _request_failed(self, request):
        # A link that answers with a file is a navigation Chromium aborts to download instead;
        # the favicon, fetched by the browser itself after a page loads, is dropped when the
        # journey moves on first (it is served: a missing one would show as HTTP 404).
        if request.failure == "net::ERR_ABORTED" and any(
            marker in request.url
            for marker in ("export", "download", "/errors/", ".xlsx", "/favicon.")
        ):
            return
        self.problems.append(f"failed: {request.url} {request.failure}")

    def go(self, path):
        self.page.goto(self.base + path)
        self.page.wait_for_load_state("networkidle")

    def shot(self, label):
        self.step += 1
        self.page.screenshot(path=self.folder / f"{self.step:02d}-{label}.png", full_page=True)

    def login(self, username, password):
        self.go("/accounts/login/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", password)
        self.page.click("button[type=submit]")
        self.page.wait_for_load_state("networkidle")

    def download(self, selector, label, timeout=30):
        """Click an export link and return the file's bytes, whichever way the portal answers:
        the file at once, or a background export's page (progress bar, then a download link,
        the file also listed under My downloads). ``label`` names the screenshot of that page."""
        page = self.page
        arrived = []

        def arrive(download):
            arrived.append(download)

        page.on("download", arrive)
        try:
            page.click(selector)
            deadline = time.monotonic() + timeout
            while not arrived and not DOWNLOAD_PAGE.search(page.url):
                assert time.monotonic() < deadline, f"no file and no download page: {page.url}"
                page.wait_for_timeout(100)
        finally:
            page.remove_listener("download", arrive)
        if arrived:
            return arrived[0].path().read_bytes()
        link = page.locator("[data-testid=download-link]")
        link.wait_for(timeout=timeout * 1000)  # progress.js reloads the page when it is done
        self.shot(label)
        detail = page.url
        with page.expect_download() as download:
            link.click()
        content = download.value.path().read_bytes()
        self.go("/jobs/downloads/")
        listed = page.locator(
            f"[data-testid=downloads] a[href='{DOWNLOAD_PAGE.search(detail).group(0)}']"
        )
        assert listed.count() == 1, "the background export is not listed under My downloads"
        return content

    def logout(self):
        self.page.click("header form[action$='logout/'] button")
        self.page.wait_for_load_state("networkidle")

    def assert_clean(self):
        assert self.problems == [], self.problems


@pytest.fixture
def journey(browser, live_server, request, settings, tmp_path):
    """The journey's page. Uploads and made files go to the test's own media directory, and
    background work runs in the server's thread even when REDIS_URL names a broker (no worker
    runs beside the journeys)."""
    from zhenhai_so.celery import app

    settings.MEDIA_ROOT = tmp_path / "media"
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    context = browser.new_context(
        locale="zh-CN", viewport={"width": 1366, "height": 900}, accept_downloads=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield Journey(page, live_server, request.node.name.removeprefix("test_"))
    context.close()
    app.conf.task_always_eager = eager


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """The flush that ends a journey (a transactional test) empties the reference data every
    test database starts with; load it again for the tests that run after it in this process."""
    yield
    if nextitem is None:  # the session's end: the test databases are gone
        return
    from django.core.management import call_command
    from pytest_django.plugin import blocking_manager_key

    with item.config.stash[blocking_manager_key].unblock():
        call_command("load_reference", verbosity=0, stdout=io.StringIO())
