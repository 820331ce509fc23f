"""Writes of the targets app: township quarterly reports (draft → submitted → accepted | returned
→ resubmitted), milestones, and the stored series of target values (refreshed and verified).
Each is atomic and validates before saving; the views, the admin, the demo, the task and the
commands all call these."""

import datetime
import random
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Min
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from registry.models import Community, Township
from zhenhai_so.models import Notification, User
from zhenhai_so.notifications import notify
from zhenhai_so.roles import Role

from . import metrics, progress, series
from .models import (
    Milestone,
    Plan,
    QuarterlyIndicator,
    QuarterlyReport,
    QuarterlyValue,
    ReportStep,
    Status,
    Target,
    quarterly_report_due,
)
from .series import Window

State = QuarterlyReport.State

# A figure more than this far (relatively) from the township's previous quarter needs a comment.
JUMP_THRESHOLD = Decimal("0.5")


class StaleReport(Exception):
    """The report was saved by someone else after this form was opened."""


def _step(report, from_state, to_state, user, note="", at=None):
    ReportStep.objects.create(
        report=report,
        from_state=from_state,
        to_state=to_state,
        actor=user,
        at=at or timezone.now(),
        note=note,
    )


def normalise_value(indicator: QuarterlyIndicator, raw) -> str:
    """The stored text form of a value: booleans "1"/"0", numbers without spaces, "" for none."""
    if raw is None or raw == "":
        return ""
    if indicator.kind == QuarterlyIndicator.Kind.BOOL:
        return "1" if raw in (True, "1", "true", "True", "on", "是") else "0"
    if indicator.kind == QuarterlyIndicator.Kind.INT:
        try:
            number = int(str(raw).strip())
        except ValueError:
            raise ValidationError(
                {indicator.code: _("Enter a whole number.")}, code="invalid"
            ) from None
        if number < 0:
            raise ValidationError({indicator.code: _("Enter a number of 0 or more.")})
        return str(number)
    if indicator.kind == QuarterlyIndicator.Kind.DECIMAL:
        try:
            number = Decimal(str(raw).strip())
        except InvalidOperation:
            raise ValidationError({indicator.code: _("Enter a number.")}, code="invalid") from None
        if not number.is_finite() or number < 0:
            raise ValidationError({indicator.code: _("Enter a number of 0 or more.")})
        return format(number.normalize(), "f")
    return str(raw).strip()


@transaction.atomic
def quarterly_report_open(
    *, plan: Plan, township: Township, year: int, quarter: int, user
) -> QuarterlyReport:
    """The township's report for the quarter, created as a draft on first opening with the
    per-community flags copied from its newest accepted report."""
    report, created = QuarterlyReport.objects.get_or_create(
        township=township, year=year, quarter=quarter, defaults={"plan": plan}
    )
    if created:
        report.full_clean()
        _step(report, "", State.DRAFT, user)
        previous = (
            QuarterlyReport.objects.accepted()
            .filter(township=township)
            .exclude(pk=report.pk)
            .order_by("-year", "-quarter")
            .first()
        )
        if previous is not None:
            QuarterlyValue.objects.bulk_create(
                QuarterlyValue(
                    report=report, indicator_id=v.indicator_id, community_id=v.community_id,
                    value=v.value,
                )
                for v in previous.values.filter(
                    community__isnull=False, indicator__plan=plan
                )
            )  # fmt: skip
    return report


def _check_editable(report: QuarterlyReport) -> None:
    if report.state not in (State.DRAFT, State.RETURNED):
        raise ValidationError(
            _("This report is %(state)s and can no longer be changed.")
            % {"state": report.get_state_display()}
        )


@transaction.atomic
def quarterly_report_save_draft(
    *,
    report: QuarterlyReport,
    values: dict,
    narrative: str,
    expected_version: int | None,
    user,
) -> QuarterlyReport:
    """Save what was entered, as it is: nothing is required yet, nothing is lost.

    ``values`` maps (indicator code, community id or None) to {"value": ..., "comment": ...}.
    A save based on an outdated version is refused (``StaleReport``) instead of overwriting."""
    current = QuarterlyReport.objects.select_for_update().get(pk=report.pk)
    if expected_version is not None and current.version != expected_version:
        raise StaleReport
    _check_editable(current)
    indicators = {i.code: i for i in current.plan.indicators.all()}
    communities = set(current.township.communities.values_list("pk", flat=True))
    existing = {(v.indicator_id, v.community_id): v for v in current.values.all()}
    errors = {}
    for (code, community_id), entry in values.items():
        indicator = indicators.get(code)
        if indicator is None or (community_id is not None and community_id not in communities):
            continue
        try:
            value = normalise_value(indicator, entry.get("value"))
        except ValidationError as error:
            errors.update(error.message_dict)
            continue
        comment = (entry.get("comment") or "").strip()
        row = existing.get((indicator.pk, community_id))
        if row is None:
            QuarterlyValue.objects.create(
                report=current, indicator=indicator, community_id=community_id, value=value,
                comment=comment,
            )  # fmt: skip
        elif (row.value, row.comment) != (value, comment):
            row.value, row.comment = value, comment
            row.save(update_fields=["value", "comment"])
    if errors:
        raise ValidationError(errors)
    current.narrative = narrative
    current.version += 1
    current.full_clean()
    current.save()
    return current


def previous_quarter(year: int, quarter: int) -> tuple[int, int]:
    return (year, quarter - 1) if quarter > 1 else (year - 1, 4)


def jumps_without_comment(report: QuarterlyReport) -> list[QuarterlyIndicator]:
    """Township-wide numbers more than 50 % away from the previous quarter's report that carry no
    comment (a DHIS2-style outlier check: the township explains, the bureau reads the note)."""
    year, quarter = previous_quarter(report.year, report.quarter)
    previous = (
        QuarterlyReport.objects.filter(township=report.township_id, year=year, quarter=quarter)
        .exclude(state=State.DRAFT)
        .first()
    )
    if previous is None:
        return []
    before = {v.indicator_id: v.value for v in previous.values.filter(community__isnull=True)}
    numeric = (QuarterlyIndicator.Kind.INT, QuarterlyIndicator.Kind.DECIMAL)
    flagged = []
    for v in report.values.filter(community__isnull=True).select_related("indicator"):
        if v.indicator.kind not in numeric or v.comment or not v.value:
            continue
        old = before.get(v.indicator_id)
        if not old or Decimal(old) == 0:
            continue
        if abs(Decimal(v.value) - Decimal(old)) / Decimal(old) > JUMP_THRESHOLD:
            flagged.append(v.indicator)
    return flagged


def missing_required(report: QuarterlyReport) -> list[QuarterlyIndicator]:
    filled = set(
        report.values.filter(community__isnull=True)
        .exclude(value="")
        .values_list("indicator_id", flat=True)
    )
    return [
        i
        for i in report.plan.indicators.filter(required=True, per_community=False)
        if i.pk not in filled
    ]


@transaction.atomic
def quarterly_report_submit(
    *, report: QuarterlyReport, user, expected_version: int | None = None, now=None
) -> QuarterlyReport:
    """Submit a draft or returned report. Refused while required figures are empty or a figure
    far from the previous quarter has no comment. Late when first submitted after the 15th day
    following the quarter (``docs/targets.md``)."""
    current = QuarterlyReport.objects.select_for_update().get(pk=report.pk)
    if expected_version is not None and current.version != expected_version:
        raise StaleReport
    _check_editable(current)
    errors = {}
    for indicator in missing_required(current):
        errors[indicator.code] = [
            ValidationError(_("Required before submitting."), code="required")
        ]
    for indicator in jumps_without_comment(current):
        errors.setdefault(indicator.code, []).append(
            ValidationError(
                _("This figure is far from the previous quarter's; add a comment explaining it."),
                code="needs_comment",  # shown at the indicator's comment
            )
        )
    if errors:
        raise ValidationError(errors)
    now = now or timezone.now()
    if current.first_submitted_at is None:
        current.first_submitted_at = now
        current.late = timezone.localdate(now) > quarterly_report_due(current.year, current.quarter)
    previous_state = current.state
    current.state = State.SUBMITTED
    current.submitted_at, current.submitted_by = now, user
    current.version += 1
    current.full_clean()
    current.save()
    _step(current, previous_state, State.SUBMITTED, user, at=now)
    notify_waiting_for_review(current)
    return current


def notify_waiting_for_review(report: QuarterlyReport, staff=None) -> list:
    """Tell bureau staff that ``report`` waits for them; once per submission (the daily reminder
    uses the same key, so it adds nothing for a report already announced)."""
    if staff is None:
        staff = User.objects.filter(role=Role.BUREAU_STAFF, is_active=True)
    return notify(
        users=staff,
        kind=Notification.Kind.REVIEW,
        title=_("%(report)s waits for review") % {"report": report},
        link=reverse("targets:report_detail", kwargs={"pk": report.pk}),
        key=f"quarterly-report-review-{report.pk}-{report.submitted_at:%Y%m%d%H%M%S}",
    )


def _review(report, user, to_state, reason, now):
    current = QuarterlyReport.objects.select_for_update().get(pk=report.pk)
    if current.state != State.SUBMITTED:
        raise ValidationError(_("Only a submitted report can be accepted or returned."))
    now = now or timezone.now()
    current.state = to_state
    current.reviewed_at, current.reviewed_by = now, user
    current.return_reason = reason
    current.version += 1
    current.full_clean()
    current.save()
    _step(current, State.SUBMITTED, to_state, user, note=reason, at=now)
    if to_state == State.RETURNED:
        notify(
            users=User.objects.filter(
                role=Role.TOWNSHIP_OFFICE, township_id=current.township_id, is_active=True
            ),
            kind=Notification.Kind.RETURNED,
            title=_("%(report)s was returned") % {"report": current},
            body=reason,
            link=reverse("targets:report_detail", kwargs={"pk": current.pk}),
        )
    return current


@transaction.atomic
def quarterly_report_accept(*, report: QuarterlyReport, user, now=None) -> QuarterlyReport:
    """Accept a submitted report; it is locked from then on and feeds the township figures."""
    return _review(report, user, State.ACCEPTED, "", now)


@transaction.atomic
def quarterly_report_return(
    *, report: QuarterlyReport, user, reason: str, now=None
) -> QuarterlyReport:
    """Return a submitted report with the reason; what was entered stays for the township."""
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the report is returned.")})
    return _review(report, user, State.RETURNED, reason.strip(), now)


@transaction.atomic
def milestone_record(
    *,
    milestone: Milestone,
    completed_on: datetime.date | None,
    evidence_link: str,
    note: str,
    user,
    evidence_file=None,
) -> Milestone:
    """Record (or clear) a milestone's completion date and its evidence."""
    milestone.completed_on = completed_on
    milestone.evidence_link = evidence_link
    milestone.note = note
    if evidence_file is not None:
        milestone.evidence_file = evidence_file
    if completed_on and not (milestone.evidence_link or milestone.evidence_file):
        raise ValidationError(
            {"evidence_link": _("A completed milestone needs its evidence (a file or a link).")}
        )
    milestone.entered_by = user
    milestone.entered_at = timezone.now()
    milestone.full_clean()
    milestone.save()
    return milestone


def series_window(today: datetime.date | None = None) -> "Window":
    """The dates and townships a refresh computes: from the earliest plan's start to the later
    of the latest plan's end and today."""
    today = today or timezone.localdate()
    bounds = Plan.objects.aggregate(first=Min("starts_on"), last=Max("ends_on"))
    return Window(
        first=bounds["first"] or today,
        last=max(bounds["last"] or today, today),
        townships=list(Township.objects.values_list("pk", flat=True)),
    )


def series_refresh(*, targets=None, since: datetime.date | None = None, today=None) -> int:
    """Compute every series of the targets (all targets by default) and store it, each target
    writing only the steps that differ from those stored. ``since``: keep the stored steps
    before that date. Returns the number of steps written."""
    window = series_window(today)
    targets = Target.objects.select_related("plan") if targets is None else targets
    written = 0
    with transaction.atomic():  # one commit: pages read the old values until then
        for target in targets:
            computed = metrics.METRICS[target.metric].series(target, window)
            written += series.store(target, computed, since=since)
    return written


def tables_read(metric) -> set[str]:
    """The database tables a metric reads (its models' and their many-to-many tables)."""
    tables = set()
    for model in metric.reads:
        tables.add(model._meta.db_table)
        tables |= {f.remote_field.through._meta.db_table for f in model._meta.many_to_many}
    return tables


def targets_reading(tables) -> list[Target]:
    """The targets whose figures a change to the tables (database table names) may change: those
    whose metric reads one of them, or every target when plans or targets themselves changed."""
    tables = set(tables)
    targets = Target.objects.select_related("plan")
    if tables & {Target._meta.db_table, Plan._meta.db_table}:
        return list(targets)
    names = [name for name, metric in metrics.METRICS.items() if tables & tables_read(metric)]
    return list(targets.filter(metric__in=names))


@dataclass
class Difference:
    target: str
    township_id: int | None
    day: datetime.date
    stored: tuple
    direct: tuple


def series_verify(*, targets=None, days: int = 12, seed: int | None = None, today=None):
    """Compare the stored values with each metric's direct computation on random dates (and
    the quarter ends) for the district and random townships; returns the differences."""
    rng = random.Random(seed)  # noqa: S311  (dates to check, not a secret)
    window = series_window(today)
    targets = list(Target.objects.select_related("plan") if targets is None else targets)
    span = (window.last - window.first).days
    dates = sorted(
        {window.first + datetime.timedelta(days=rng.randint(0, span)) for _ in range(days)}
    )
    scopes = [None, *rng.sample(window.townships, min(3, len(window.townships)))]
    differences = []
    stored = progress.evaluate_many(targets, as_of=dates, township_ids=scopes)
    for (scope, day), rows in stored.items():
        for p in rows:
            target = p.target
            checks = [
                (y.year, y) for y in p.years if y.status not in (Status.NOT_STARTED, Status.NOT_DUE)
            ]
            if not target.annual:
                checks = [(None, p)]
            for year, shown in checks:
                result = metrics.compute(target, as_of=day, township_id=scope, year=year)
                direct = tuple(
                    series.rounded(x) for x in (result.value, result.numerator, result.denominator)
                )
                mine = tuple(
                    series.rounded(x) for x in (shown.value, shown.numerator, shown.denominator)
                )
                if p.note and result.value is None and shown.value is None:
                    continue
                if _differs(direct, mine):
                    differences.append(
                        Difference(
                            f"{target.code}{'' if year is None else f' {year}'}",
                            scope,
                            day,
                            mine,
                            direct,
                        )
                    )
    return differences


def _differs(direct, stored) -> bool:
    """Whether two (value, numerator, denominator) disagree; a count's missing denominator is
    the same as none."""
    value, numerator, denominator = direct
    s_value, s_numerator, s_denominator = stored
    if value != s_value:
        return True
    if value is None:
        return False
    return numerator != s_numerator or (denominator or None) != (s_denominator or None)


def community_ids_of(township: Township) -> list[int]:
    return list(Community.objects.filter(township=township).values_list("pk", flat=True))
