"""Settings of the load test's server: the portal's, plus the baseline page the load test
compares the portal with (``tests.bench.load_urls``)."""

from zhenhai_so.settings import *  # noqa: F403

ROOT_URLCONF = "tests.bench.load_urls"
