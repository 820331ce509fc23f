"""The Celery app, wired as in cookiecutter-django: settings under the ``CELERY_`` namespace.

With ``REDIS_URL`` unset, settings make every task run eagerly in-process.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhenhai_so.settings")

app = Celery("zhenhai_so")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
