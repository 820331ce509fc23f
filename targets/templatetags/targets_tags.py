"""A target's value and status badge, written in Python: the dashboard shows dozens of each, and
an ``{% include %}`` per cell costs more than the rest of the page (same output as the includes
``targets/includes/value.html`` and ``status.html``)."""

from django import template
from django.template.defaultfilters import floatformat
from django.utils.html import format_html
from django.utils.translation import gettext_lazy

register = template.Library()

ICONS = {
    "achieved": "check-circle-fill",
    "achieved_above": "check-circle-fill",
    "on_track": "arrow-up-right-circle",
    "at_risk": "exclamation-triangle-fill",
    "no_data": "dash-circle",
    "not_started": "dash-circle",
    "tracked": "eye",
}


@register.simple_tag
def target_value(value, unit):
    if value is None:
        return "—"
    if unit == "percent":
        return f"{floatformat(value, 1)}%"
    if unit in ("per10k", "ratio", "amount"):
        return floatformat(value, 2)
    return floatformat(value, "0")


@register.simple_tag
def status_badge(status, label):
    return format_html(
        '<span class="status-badge status-{}" data-status="{}"><i class="bi bi-{}" '
        'aria-hidden="true"></i> {}</span>',
        status,
        status,
        ICONS.get(status, "x-octagon-fill"),
        label,
    )


# A target's data source as the plan's fixture writes it ("registry + population"), in words.
SOURCE_LABELS = {
    "registry": gettext_lazy("the register"),
    "registry (inspections)": gettext_lazy("the register (spot checks)"),
    "registry (lists)": gettext_lazy("the register (abnormal and serious-violation lists)"),
    "population": gettext_lazy("population figures"),
    "evaluation": gettext_lazy("evaluations"),
    "annual reports": gettext_lazy("annual reports"),
    "annual facts": gettext_lazy("annual figures"),
    "milestone": gettext_lazy("milestones"),
    "milestones": gettext_lazy("milestones"),
    "procurement": gettext_lazy("purchase of services"),
    "procurement (awards)": gettext_lazy("purchase of services (awards)"),
    "procurement (brands)": gettext_lazy("purchase of services (brands)"),
    "party building": gettext_lazy("party building"),
    "township figures": gettext_lazy("townships' quarterly reports"),
    "trainings": gettext_lazy("trainings"),
}

# The names of a result's extra figures (``TargetResult.extras``), in words.
EXTRA_LABELS = {
    "by_type": gettext_lazy("by type"),
    "population": gettext_lazy("registered population"),
    "population_year": gettext_lazy("population year"),
    "population_source": gettext_lazy("population source"),
    "resident_population": gettext_lazy("resident population"),
    "per_10k_resident": gettext_lazy("per 10,000 residents"),
    "from": gettext_lazy("from"),
    "to": gettext_lazy("to"),
    "min": gettext_lazy("lowest"),
    "mean": gettext_lazy("average"),
    "year": gettext_lazy("year"),
    "amount": gettext_lazy("amount"),
    "count": gettext_lazy("count"),
    "previous_amount": gettext_lazy("previous year's amount"),
    "by_list": gettext_lazy("by list"),
    "per_year": gettext_lazy("per year (listed, removed)"),
    "inspections": gettext_lazy("spot checks"),
    "mean_personnel_share": gettext_lazy("average personnel-cost share (%)"),
    "legal": gettext_lazy("legal organisations"),
    "party_required": gettext_lazy("required to set up a party organisation"),
    "party_own": gettext_lazy("with a party organisation of their own"),
    "governance": gettext_lazy("with complete governance bodies"),
    "independent_office_20": gettext_lazy("with an independent office of at least 20 m²"),
    "full_time_staff_1": gettext_lazy("with at least one full-time staff member"),
}


@register.filter
def source_label(source: str) -> str:
    """ "registry + population" → "登记数据、人口数据"; an unknown part is left as written."""
    parts = [p.strip() for p in str(source or "").split("+")]
    return "、".join(str(SOURCE_LABELS.get(p, p)) for p in parts if p)


@register.filter
def extra_label(name: str) -> str:
    return str(EXTRA_LABELS.get(name, name))
