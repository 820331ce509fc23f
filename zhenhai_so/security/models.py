"""The security event log and the password history.

``SecurityEvent`` is the one place to ask "who did what, from where, and did it work" for the
events django-auditlog does not see: logins, logouts, lock-outs, password / two-factor / role
changes, imports, exports and downloads (SECURITY.md item 11). Field changes of domain records stay
in auditlog's ``LogEntry``; the audit page shows both.

Rows are append-only: the model offers no update path, no role holds a permission on it, and on
PostgreSQL a trigger (migration ``0002_append_only``) refuses UPDATE and DELETE except the purge of
rows older than the retention period (SECURITY.md item 12). Each row carries the SHA-256 of the
previous row's hash and its own content, so a raw edit in the database breaks the chain and
``manage.py verify_audit_chain`` names the first broken row.
"""

import hashlib
import hmac
import json

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def chain_key() -> bytes:
    """The key of the audit hash chain: ``AUDIT_CHAIN_KEY``, else one derived from
    ``SECRET_KEY`` (both live outside the database)."""
    if settings.AUDIT_CHAIN_KEY:
        return settings.AUDIT_CHAIN_KEY.encode()
    return hmac.new(settings.SECRET_KEY.encode(), b"zhenhai audit chain", hashlib.sha256).digest()


class EventKind(models.TextChoices):
    LOGIN = "login", _("Login")
    LOGIN_FAILED = "login_failed", _("Failed login")
    LOGOUT = "logout", _("Logout")
    LOCKOUT = "lockout", _("Lock-out")
    UNLOCK = "unlock", _("Lock-out lifted")
    SESSION_EXPIRED = "session_expired", _("Session expired")
    PASSWORD_CHANGE = "password_change", _("Password change")
    PASSWORD_RESET = "password_reset", _("Password reset")
    TWO_FACTOR = "two_factor", _("Two-factor change")
    TWO_FACTOR_VERIFY = "two_factor_verify", _("Two-factor check")
    ROLE_CHANGE = "role_change", _("Role change")
    ACCOUNT_DISABLED = "account_disabled", _("Account disabled")
    IMPORT = "import", _("Import")
    EXPORT = "export", _("Export")
    DOWNLOAD = "download", _("Download")
    APPROVAL = "approval", _("Approval")
    AUDIT_PURGE = "audit_purge", _("Audit log purge")
    ACCOUNT_REQUEST = "account_request", _("Account change requested")
    ACCOUNT_APPROVAL = "account_approval", _("Account change decided")


class SecurityEventQuerySet(models.QuerySet):
    def chronological(self):
        return self.order_by("id")

    def search(self, text: str):
        """Events whose user name, object, address or detail contains ``text``."""
        return self.filter(
            models.Q(username__icontains=text)
            | models.Q(object_repr__icontains=text)
            | models.Q(address__icontains=text)
            | models.Q(detail__icontains=text)
        )


class SecurityEvent(models.Model):
    created_at = models.DateTimeField(_("time"), db_index=True)
    # No database constraint and no cascade: deleting a user must neither touch nor lose the log.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    username = models.CharField(_("user name"), max_length=150, blank=True)
    kind = models.CharField(_("type"), max_length=20, choices=EventKind.choices)
    success = models.BooleanField(_("success"), default=True)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    detail = models.CharField(_("detail"), max_length=500, blank=True)
    previous_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64, unique=True)

    objects = SecurityEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("security event")
        verbose_name_plural = _("security events")
        ordering = ["-created_at", "-id"]
        default_permissions = ()  # nobody adds, changes or deletes events through the portal
        indexes = [
            models.Index(fields=["kind", "-created_at"], name="securityevent_kind_idx"),
            models.Index(fields=["username", "-created_at"], name="securityevent_user_idx"),
        ]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.username} {self.kind}"

    def content(self) -> bytes:
        """The canonical bytes the hash covers: every field but the id and the hashes."""
        data = {
            "created_at": self.created_at.isoformat(),
            "user_id": self.user_id,
            "username": self.username,
            "kind": self.kind,
            "success": self.success,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "object_repr": self.object_repr,
            "address": self.address,
            "detail": self.detail,
        }
        return json.dumps(data, ensure_ascii=False, sort_keys=True).encode()

    def compute_hash(self) -> str:
        """HMAC-SHA-256 of the previous hash and this row, under a key kept outside the database
        (``AUDIT_CHAIN_KEY``): whoever can write the table cannot forge a row or re-hash the
        chain after a rewrite."""
        return hmac.new(
            chain_key(), self.previous_hash.encode() + b"\n" + self.content(), hashlib.sha256
        ).hexdigest()


class AccountRequest(models.Model):
    """A change of an account that one administrator asks for and a security administrator
    approves (三权分立; the rule is in docs/security.md, finding P3): creating an account,
    changing its role or re-activating it, resetting its password or second factor. Nobody
    approves his own request or one about his own account."""

    class Action(models.TextChoices):
        CREATE = "create", _("Create an account")
        CHANGE = "change", _("Change the role or re-activate")
        RESET_PASSWORD = "reset_password", _("Reset the password")
        RESET_TWO_FACTOR = "reset_two_factor", _("Reset two-factor sign-in")

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING
    )
    # None for an account still to be created; ``username`` names it either way.
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    username = models.CharField(_("login name"), max_length=150)
    role = models.CharField(_("role"), max_length=20)
    # create / change: full_name, email, phone, township_id, is_active as asked for
    payload = models.JSONField(default=dict, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("account request")
        verbose_name_plural = _("account requests")
        ordering = ["-requested_at", "-id"]
        default_permissions = ()  # requested with manage_users, decided with manage_security
        indexes = [models.Index(fields=["state", "-requested_at"], name="accountrequest_state_idx")]

    def __str__(self):
        return f"{self.get_action_display()}: {self.username}"

    @property
    def role_label(self) -> str:
        """The role asked for, in words."""
        from zhenhai_so.roles import Role

        return str(Role(self.role).label) if self.role in Role.values else self.role


class PasswordHistory(models.Model):
    """A hash of a password a user has had; the last five may not be chosen again (等保 2.0)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="password_history"
    )
    password = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        default_permissions = ()
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="passwordhistory_user_idx")]

    def __str__(self):
        return f"{self.user_id} {self.created_at:%Y-%m-%d}"
