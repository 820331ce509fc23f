from django import template
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from disclosure.selectors import procurement_installed

register = template.Library()

_NAV = [
    ("disclosure:search", {}, _("Organisations"), False),
    ("disclosure:list_entries", {"kind": "abnormal"}, _("Abnormal list"), False),
    ("disclosure:list_entries", {"kind": "serious"}, _("Blacklist"), False),
    ("disclosure:spot_check_draws", {}, _("Spot-check draws"), False),
    ("disclosure:inspections", {}, _("Spot checks"), False),
    ("disclosure:projects", {}, _("Purchased services"), True),
    ("disclosure:awards", {}, _("Excellent teams"), True),
    ("disclosure:brands", {}, _("Brands"), True),
]


@register.inclusion_tag("disclosure/includes/nav.html", takes_context=True)
def public_nav(context):
    """The public pages' menu; procurement's pages only when that app is installed."""
    request = context["request"]
    match = request.resolver_match
    items = []
    for name, kwargs, label, needs_procurement in _NAV:
        if needs_procurement and not procurement_installed():
            continue
        active = (
            match is not None and match.view_name == name and match.kwargs == kwargs
            if kwargs
            else match is not None and match.view_name == name
        )
        items.append({"url": reverse(name, kwargs=kwargs), "label": label, "active": active})
    return {"items": items}
