"""A target's value and status badge, written in Python: the dashboard shows dozens of each, and
an ``{% include %}`` per cell costs more than the rest of the page (same output as the includes
``targets/includes/value.html`` and ``status.html``)."""

from django import template
from django.template.defaultfilters import floatformat
from django.utils.html import format_html

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
