"""How the records behind a number are listed and exported, per kind of record a metric returns
(``MetricResult.record_kind``). Records of other apps are read by attribute only, so this module
imports none of them."""

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class RecordKind:
    headers: list
    row: Callable
    url: Callable
    ordering: tuple = ("pk",)
    related: tuple = ()

    def listed(self, records):
        """The records in list order with what the rows read, so a page is one query."""
        return records.select_related(*self.related).order_by(*self.ordering)


def _url(name, *args):
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def _name(obj, attr):
    value = getattr(obj, attr, None)
    return str(value) if value is not None else ""


def _yes(value):
    return _("yes") if value else _("no")


RECORD_KINDS = {
    "organisation": RecordKind(
        headers=[
            _("Organisation"),
            _("Credit code"),
            _("Type"),
            _("Township"),
            _("Registered on"),
            _("Dissolved on"),
            _("Counts"),
        ],
        row=lambda o: [
            o.name,
            o.credit_code,
            o.get_org_type_display(),
            o.township.name,
            o.registered_on,
            o.dissolved_on,
            _yes(getattr(o, "meets", True)),
        ],
        url=lambda o: _url("registry:organisation_detail", o.pk),
        ordering=("name", "pk"),
        related=("township",),
    ),
    "community": RecordKind(
        headers=[
            _("Village / community"),
            _("Township"),
            _("Kind"),
            _("Community organisations"),
            _("Counts"),
        ],
        row=lambda c: [
            c.name,
            c.township.name,
            c.get_kind_display(),
            getattr(c, "so_count", ""),
            _yes(getattr(c, "meets", True)),
        ],
        url=lambda c: _url("registry:township_detail", c.township_id),
        ordering=("township__order", "code"),
        related=("township",),
    ),
    "township": RecordKind(
        headers=[_("Township"), _("Counts")],
        row=lambda t: [t.name, _yes(getattr(t, "meets", True))],
        url=lambda t: _url("registry:township_detail", t.pk),
        ordering=("order", "code"),
    ),
    "milestone": RecordKind(
        headers=[_("Milestone"), _("Completed on"), _("Evidence"), _("Counts")],
        row=lambda m: [
            m.title,
            m.completed_on,
            m.evidence_link or (m.evidence_file.name or ""),
            _yes(getattr(m, "meets", True)),
        ],
        url=lambda m: _url("targets:milestone_edit", m.pk),
        ordering=("order", "key"),
    ),
    "inspection": RecordKind(
        headers=[
            _("Organisation"),
            _("Inspected on"),
            _("Result"),
            _("Result published on"),
            _("Counts"),
        ],
        row=lambda i: [
            i.organisation.name,
            i.inspected_on,
            i.get_result_display(),
            i.published_on,
            _yes(getattr(i, "meets", True)),
        ],
        url=lambda i: _url("registry:organisation_detail", i.organisation_id) + "?tab=inspections",
        ordering=("inspected_on", "pk"),
        related=("organisation",),
    ),
    "list_entry": RecordKind(
        headers=[_("Organisation"), _("List"), _("Reason"), _("Listed on")],
        row=lambda e: [
            e.organisation.name,
            e.get_kind_display(),
            e.get_reason_display(),
            e.listed_on,
        ],
        url=lambda e: _url("registry:organisation_detail", e.organisation_id) + "?tab=lists",
        ordering=("listed_on", "pk"),
        related=("organisation",),
    ),
    "project": RecordKind(
        headers=[_("Project"), _("Township"), _("Contract amount"), _("Signed on"), _("Counts")],
        row=lambda p: [
            str(p),
            _name(p, "township"),
            getattr(p, "contract_amount", None),
            getattr(p, "signed_on", None),
            _yes(getattr(p, "meets", True)),
        ],
        url=lambda p: _url("procurement:project_detail", p.pk),
    ),
    "training": RecordKind(
        headers=[_("Training"), _("Held on"), _("Attendees")],
        row=lambda t: [str(t), getattr(t, "held_on", None), getattr(t, "attendees", None)],
        url=lambda t: "",
    ),
    "enrolment": RecordKind(
        headers=[_("Training"), _("Organisation")],
        row=lambda e: [str(e.training), str(e.organisation)],
        url=lambda e: _url("registry:organisation_detail", e.organisation_id),
    ),
    "site": RecordKind(
        headers=[_("Demonstration site"), _("Year"), _("Named on")],
        row=lambda s: [str(s), getattr(s, "year", None), getattr(s, "named_on", None)],
        url=lambda s: "",
    ),
    "award": RecordKind(
        headers=[_("Award"), _("Year"), _("Named on")],
        row=lambda a: [str(a), getattr(a, "year", None), getattr(a, "named_on", None)],
        url=lambda a: "",
    ),
    "brand": RecordKind(
        headers=[_("Brand"), _("Township"), _("Named on")],
        row=lambda b: [str(b), _name(b, "township"), getattr(b, "named_on", None)],
        url=lambda b: "",
    ),
}
