"""Signal receivers that write the security log: logins, logouts, lock-outs, role changes,
deactivations, password changes, imports, queued exports and approvals (SECURITY.md item 11).
Nothing here logs a password: ``user_login_failed`` hands over cleansed credentials, and only the
user name is kept. Exports and downloads answered by a page are recorded by
``middleware.SecurityEventMiddleware``."""

import json

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
# When the session was last saved to renew its idle limit (SessionRenewalMiddleware).
SESSION_RENEWED_KEY = "zhenhai_renewed"


@receiver(user_logged_in, dispatch_uid="security_login")
def on_login(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        now = timezone.now().timestamp()
        request.session[SESSION_STARTED_KEY] = now
        request.session[SESSION_RENEWED_KEY] = now  # logging in saves the session
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
        User.objects.filter(pk=instance.pk).values_list("role", "township_id", "is_active").first()
    )


def _context() -> dict:
    """The actor and address auditlog's middleware put in the request's context ({} outside a
    request: a command or a task)."""
    from auditlog.context import auditlog_value

    try:
        return auditlog_value.get()
    except LookupError:
        return {}


def _actor(context: dict):
    actor = context.get("actor")
    return actor if getattr(actor, "is_authenticated", False) else None


@receiver(post_save, sender=User, dispatch_uid="security_user_after")
def record_role_change(sender, instance, created, raw=False, **kwargs):
    before = getattr(instance, "_security_before", None)
    if raw or created or before is None:
        return
    context = _context()
    if before[:2] != (instance.role, instance.township_id):
        record_event(
            None,
            EventKind.ROLE_CHANGE,
            instance,
            user=_actor(context),
            address=context.get("remote_addr"),
            detail=f"role {before[0]} -> {instance.role}; "
            f"township {before[1]} -> {instance.township_id}",
        )
    if (
        before[2]
        and not instance.is_active
        and not getattr(instance, "_security_event_recorded", 0)
    ):
        record_event(
            None,
            EventKind.ACCOUNT_DISABLED,
            instance,
            user=_actor(context),
            address=context.get("remote_addr"),
            detail="deactivated",
        )


# --- Imports, queued exports and approvals. ------------------------------------------------

# A decision on someone's submission, by the model's audit entries: model label → (field, the
# values that are a decision, or None for any value). Approving, rejecting and returning are
# all decisions an auditor asks about.
APPROVAL_DECISIONS = {
    "registry.registrationapplication": ("state", {"approved", "rejected", "returned"}),
    "procurement.project": ("state", {"approved"}),
    "evaluation.evaluation": ("state", {"confirmed", "published"}),
    "evaluation.review": ("decision", None),
    "targets.quarterlyreport": ("state", {"accepted", "returned"}),
}
IMPORT_JOB = "zhenhai_so.importjob"


def _changes(entry) -> dict:
    changes = entry.changes or {}
    if isinstance(changes, str):
        try:
            changes = json.loads(changes)
        except ValueError:
            return {}
    return changes if isinstance(changes, dict) else {}


def _new_value(changes: dict, field: str):
    change = changes.get(field)
    if isinstance(change, list | tuple) and len(change) == 2:
        return change[1]
    return None


@receiver(post_save, sender="auditlog.LogEntry", dispatch_uid="security_logentry")
def record_imports_and_approvals(sender, instance, created, raw=False, **kwargs):
    """An applied import (``jobs.import_job_run_apply`` writes an audit
    entry for the job) and a decision on a submission become security events."""
    if raw or not created:
        return
    from django.contrib.contenttypes.models import ContentType

    content_type = ContentType.objects.get_for_id(instance.content_type_id)
    label = f"{content_type.app_label}.{content_type.model}"
    if label != IMPORT_JOB and label not in APPROVAL_DECISIONS:
        return
    changes = _changes(instance)
    try:
        target = content_type.get_object_for_this_type(pk=instance.object_pk)
    except content_type.model_class().DoesNotExist:
        return
    if label == IMPORT_JOB:
        if _new_value(changes, "state") != "applied":
            return
        counts = instance.additional_data or {}
        detail = ", ".join(f"{key} {value}" for key, value in sorted(counts.items()))
        kind = EventKind.IMPORT
    else:
        field, decisions = APPROVAL_DECISIONS[label]
        value = _new_value(changes, field)
        if not value or (decisions is not None and value not in decisions):
            return
        detail = f"{field}: {changes[field][0] or '-'} -> {value}"
        kind = EventKind.APPROVAL
    record_event(
        None,
        kind,
        target,
        user=instance.actor,
        address=instance.remote_addr or _context().get("remote_addr"),
        detail=detail,
    )


@receiver(pre_save, sender="zhenhai_so.ImportJob", dispatch_uid="security_import_before")
def remember_import_state(sender, instance, raw=False, **kwargs):
    instance._security_state = (
        None
        if raw or instance.pk is None
        else sender.objects.filter(pk=instance.pk).values_list("state", flat=True).first()
    )


@receiver(post_save, sender="zhenhai_so.ImportJob", dispatch_uid="security_import_failed")
def record_failed_import(sender, instance, raw=False, **kwargs):
    """A refused upload or a failed import is an import attempt that did not work."""
    if raw or instance.state != "failed" or getattr(instance, "_security_state", None) == "failed":
        return
    record_event(
        None,
        EventKind.IMPORT,
        instance,
        success=False,
        user=instance.user,
        address=instance.remote_addr or _context().get("remote_addr"),
        detail=f"{instance.kind}: {instance.message}"[:500],
    )


@receiver(post_save, sender="zhenhai_so.Download", dispatch_uid="security_export_queued")
def record_queued_export(sender, instance, created, raw=False, **kwargs):
    """An export run in the background is recorded when it is asked for; fetching its file is
    a download (the middleware)."""
    if raw or not created:
        return
    context = _context()
    record_event(
        None,
        EventKind.EXPORT,
        instance,
        user=instance.user,
        address=context.get("remote_addr"),
        detail=f"{instance.kind} (queued)"[:500],
    )
