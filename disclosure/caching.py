"""The public pages' content, cached (fast for anyone, under scraping too).

Each page template wraps its content in
``{% cache public_cache.seconds "disclosure" public_cache.key LANGUAGE_CODE %}``; the views hand
the template lazy values, so a cached page runs none of the queries behind its content.
The key holds:

- the newest entry of the audit log: every model the public pages show is registered with
  django-auditlog, and the importer writes its entries in bulk too, so any change made through
  the portal (a form, a service, an import, a published evaluation) gives new keys at once;
- the date, since "on the list today" and "grade still valid" change at midnight;
- the full path, so each filter, page and sort has its own entry.

Writes that leave no audit entry (the demo and benchmark loaders, raw SQL) show when the entry
expires, after ``DISCLOSURE_CACHE_SECONDS`` (300 by default; 0 turns caching off). The header (the
search box, the language switch with its CSRF token) and the footer stay outside the cache.
"""

import datetime

from auditlog.models import LogEntry
from django.conf import settings


def audit_generation() -> int:
    """The id of the newest audit entry (0 when there is none): one index-only query."""
    return LogEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def public_cache(request, *, today: datetime.date) -> dict:
    """What the page templates' ``{% cache %}`` tag needs: how long, and under which key."""
    seconds = max(getattr(settings, "DISCLOSURE_CACHE_SECONDS", 300), 0)
    generation = audit_generation() if seconds else "off"
    key = f"{generation}|{today.isoformat()}|{request.get_full_path()}"
    return {"seconds": seconds, "key": key}
