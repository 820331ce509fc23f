"""Signal receivers that write the security log: logins, logouts, lock-outs, role changes and
password changes (SECURITY.md item 11). Nothing here logs a password: ``user_login_failed``
hands over cleansed credentials, and only the user name is kept."""

from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver
from django.utils import timezone

from .models import EventKind
from .services import record_event

User = get_user_model()
SESSION_STARTED_KEY = "zhenhai_auth_started"


@receiver(user_logged_in, dispatch_uid="security_login")
def on_login(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_STARTED_KEY] = timezone.now().timestamp()
    record_event(request, EventKind.LOGIN, user=user)


@receiver(user_login_failed, dispatch_uid="security_login_failed")
def on_login_failed(sender, credentials, request=None, **kwargs):
    username = str((credentials or {}).get("username", ""))[:150]
    record_event(request, EventKind.LOGIN_FAILED, success=False, username=username)


@receiver(user_logged_out, dispatch_uid="security_logout")
def on_logout(sender, request, user, **kwargs):
    if user is not None:
        record_event(request, EventKind.LOGOUT, user=user)


@receiver(user_locked_out, dispatch_uid="security_lockout")
def on_lockout(sender, request, username, ip_address, **kwargs):
    record_event(
        request, EventKind.LOCKOUT, success=False, username=str(username or "")[:150], user=None
    )


@receiver(pre_save, sender=User, dispatch_uid="security_user_before")
def remember_role(sender, instance, raw=False, **kwargs):
    """Keep the stored role and active flag so that ``post_save`` can tell what changed."""
    if raw or instance.pk is None:
        instance._security_before = None
        return
    instance._security_before = (
        User.objects.filter(pk=instance.pk).values_list("role", "township_id").first()
    )


@receiver(post_save, sender=User, dispatch_uid="security_user_after")
def record_role_change(sender, instance, created, raw=False, **kwargs):
    from auditlog.context import auditlog_value

    before = getattr(instance, "_security_before", None)
    if raw or created or before is None:
        return
    after = (instance.role, instance.township_id)
    if before == after:
        return
    try:  # the actor and address auditlog's middleware put in the request's context
        context = auditlog_value.get()
    except LookupError:
        context = {}
    actor = context.get("actor")
    record_event(
        None,
        EventKind.ROLE_CHANGE,
        instance,
        user=actor if getattr(actor, "is_authenticated", False) else None,
        address=context.get("remote_addr"),
        detail=f"role {before[0]} -> {after[0]}; township {before[1]} -> {after[1]}",
    )
