"""Pages shown in Debian's chromium without a live server: the test client fetches them first
and the browser gets them through a request route, with static files from the finders. No
database call happens inside Playwright's event loop (where Django would open a connection
outside the test's transaction), and no live server's closing flush empties the reference data.
Used by the public pages on a phone and the print test."""

import mimetypes
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders


def fetch_pages(client, paths) -> dict:
    """{path: (status, headers, body)} of each path fetched with ``client`` (each must be 200)."""
    pages = {}
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        headers = {k: v for k, v in response.items() if k.lower() != "set-cookie"}
        pages[path] = (response.status_code, headers, response.content)
    return pages


def route_pages(pages: dict):
    """A Playwright route handler answering with ``pages`` and the static files; 404 else."""

    def handle(route):
        path = urlsplit(route.request.url).path
        if path.startswith(settings.STATIC_URL):
            found = finders.find(path.removeprefix(settings.STATIC_URL))
            if not found:
                route.fulfill(status=404, body="")
                return
            kind = mimetypes.guess_type(found)[0] or "application/octet-stream"
            route.fulfill(status=200, body=Path(found).read_bytes(), content_type=kind)
            return
        if path not in pages:
            route.fulfill(status=404, body="")
            return
        status, headers, body = pages[path]
        route.fulfill(status=status, headers=headers, body=body)

    return handle
