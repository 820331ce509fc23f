"""Server time of the plan dashboard and a target page on a bench database (not collected by
pytest). Run on PostgreSQL after ``generate_bench_data --orgs 20000``:

    DATABASE_URL=postgres://…/bench SECRET_KEY=x \
    STATICFILES_STORAGE=django.contrib.staticfiles.storage.StaticFilesStorage \
    .venv/bin/python manage.py shell \
        < tests/targets/bench_dashboard.py
"""

import statistics
import time

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from registry.models import Organisation
from targets.models import Target
from zhenhai_so.models import User
from zhenhai_so.roles import Role
from zhenhai_so.services import user_create

leader = User.objects.filter(role=Role.LEADER).first() or user_create(
    username="bench_leader",
    role=Role.LEADER,
    township=None,
    password="Bench-Leader-2018!",
    must_change_password=False,
)
client = Client(HTTP_HOST="localhost")
client.force_login(leader)
s3 = Target.objects.get(code="S3")
pages = {
    "dashboard": "/plan/",
    "dashboard 2019-06-30": "/plan/?as_of=2019-06-30",
    "target S3": f"/plan/targets/{s3.pk}/",
}
print(f"organisations: {Organisation.objects.count()}")
for name, url in pages.items():
    client.get(url)  # warm up
    times = []
    for _ in range(7):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    print(f"{name}: median {statistics.median(times):.0f} ms, {len(queries)} queries")
