import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

TODAY = datetime.date(2020, 9, 1)


@pytest.fixture(autouse=True)
def _own_request_count(settings, request):
    """Each test counts requests in a cache of its own: the suite's many anonymous requests
    would otherwise reach the limit, and clearing a shared Redis would disturb other tests."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"disclosure-{request.node.nodeid}",
        }
    }


@pytest.fixture
def on_today():
    """The public pages as of 1 September 2020 (annual reports of 2019 were due on 31 May)."""
    moment = datetime.datetime(2020, 9, 1, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(moment, tick=True):
        yield TODAY
