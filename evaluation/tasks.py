"""Scheduled work of evaluation (the beat schedule is in settings)."""

import datetime

from celery import shared_task
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from registry.models import Organisation
from zhenhai_so.models import Notification, User
from zhenhai_so.notifications import notify
from zhenhai_so.roles import Role

from .models import Evaluation

# As the "grades expiring" list (evaluation.views.EXPIRY_WINDOW_DAYS): the bureau asks an
# organisation to apply for a new evaluation before its grade lapses.
REMIND_DAYS = 90


@shared_task(acks_late=True)
def remind_expiring_evaluations(today: str | None = None) -> int:
    """Daily: tell bureau staff of every legal organisation's current grade expiring within 90
    days, once per evaluation and month (the notification key), so a grade is mentioned at most
    three times before it lapses. Returns the number of notifications created."""
    today = datetime.date.fromisoformat(today) if today else timezone.localdate()
    limit = today + datetime.timedelta(days=REMIND_DAYS)
    expiring = (
        Evaluation.objects.published()
        .filter(
            valid_until__gte=today,
            valid_until__lte=limit,
            # the organisation's current grade, not one a newer evaluation replaced
            organisation__grade_expires_on=F("valid_until"),
            organisation__in=Organisation.objects.legal_on(today),
        )
        .select_related("organisation")
        .order_by("valid_until", "pk")
    )
    staff = list(User.objects.filter(role=Role.BUREAU_STAFF, is_active=True))
    created = 0
    for evaluation in expiring:
        created += len(
            notify(
                users=staff,
                kind=Notification.Kind.REMINDER,
                title=_("The %(grade)s grade of %(name)s expires on %(date)s")
                % {
                    "grade": evaluation.get_grade_display(),
                    "name": evaluation.organisation.name,
                    "date": evaluation.valid_until.isoformat(),
                },
                body=_("Ask the organisation to apply for a new evaluation before then."),
                link=reverse("evaluation:evaluation_detail", kwargs={"pk": evaluation.pk}),
                key=f"evaluation-expiring-{evaluation.pk}-{today:%Y-%m}",
            )
        )
    return created
