"""The portal's user: one role, and for township offices the township they serve."""

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from .roles import Role


class PortalUserManager(UserManager):
    def get_by_natural_key(self, username):
        # Login names are unique case-insensitively (SECURITY.md item 1), so look them up that way.
        return self.get(username__iexact=username)


class User(AbstractUser):
    full_name = models.CharField(_("full name"), max_length=60, blank=True)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, db_index=True)
    township = models.ForeignKey(
        "registry.Township",
        verbose_name=_("township"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        help_text=_("Required for township office users, empty for everyone else."),
    )
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    must_change_password = models.BooleanField(_("must change password"), default=True)
    password_changed_at = models.DateTimeField(_("password changed at"), null=True, blank=True)

    objects = PortalUserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]
        constraints = [
            models.UniqueConstraint(Lower("username"), name="user_username_ci_unique"),
            models.CheckConstraint(
                condition=(
                    models.Q(role=Role.TOWNSHIP_OFFICE, township__isnull=False)
                    | (~models.Q(role=Role.TOWNSHIP_OFFICE) & models.Q(township__isnull=True))
                ),
                name="user_township_iff_township_office",
            ),
        ]
        permissions = [
            ("manage_users", _("Can manage users")),
            ("manage_security", _("Can manage security settings")),
            ("view_reference", _("Can view reference data")),
            ("view_auditlog", _("Can view the audit log")),
            ("export_auditlog", _("Can export the audit log")),
        ]

    def __str__(self):
        return self.full_name or self.username

    @property
    def display_name(self) -> str:
        return self.full_name or self.username

    @property
    def is_township_office(self) -> bool:
        return self.role == Role.TOWNSHIP_OFFICE

    @property
    def is_bureau_staff(self) -> bool:
        return self.role == Role.BUREAU_STAFF

    @property
    def is_leader(self) -> bool:
        return self.role == Role.LEADER

    @property
    def scope_township_id(self) -> int | None:
        """The township this user is confined to, or None for district-wide roles."""
        return self.township_id if self.role == Role.TOWNSHIP_OFFICE else None
