from django import template

register = template.Library()


@register.inclusion_tag("zhenhai_so/security/account_security.html", takes_context=True)
def account_security(context, account):
    """The lock-out and two-factor state of an account, with the administrator's actions."""
    from axes.models import AccessAttempt
    from django.conf import settings
    from django.utils import timezone

    from ..otp import has_confirmed_device

    recent = timezone.now() - settings.AXES_COOLOFF_TIME
    failures = AccessAttempt.objects.filter(
        username=account.get_username().lower(), attempt_time__gte=recent
    ).values_list("failures_since_start", flat=True)
    return {
        "account": account,
        "locked": any(f >= settings.AXES_FAILURE_LIMIT for f in failures),
        "failures": sum(failures),
        "two_factor": has_confirmed_device(account),
        "csrf_token": context.get("csrf_token"),
    }
