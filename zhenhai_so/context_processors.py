from django.conf import settings

from . import menu


def portal(request):
    """Site name and, for a signed-in user, their side menu."""
    user = getattr(request, "user", None)
    context = {"site_name": settings.SITE_NAME}
    if user is not None and user.is_authenticated:
        match = getattr(request, "resolver_match", None)
        context["sidebar"] = menu.sidebar(user, match.view_name if match else None)
        context["unread_notifications"] = user.notifications.filter(read_at__isnull=True).count
    return context
