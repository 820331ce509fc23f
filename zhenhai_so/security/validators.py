"""Password history: none of the last five passwords may be chosen again (GB/T 22239-2019
8.1.4.1 a; SECURITY.md item 3). ASVS 5.0 does not ask for this; 等保 does, and wins here."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .services import PASSWORD_HISTORY_DEPTH, password_changed, password_in_history


class PasswordHistoryValidator:
    def validate(self, password, user=None):
        if password_in_history(user, password):
            raise ValidationError(
                _(
                    "You used this password recently; choose one you have not used for the last "
                    "%(n)d changes."
                )
                % {"n": PASSWORD_HISTORY_DEPTH},
                code="password_reused",
            )

    def password_changed(self, password, user=None):
        if user is not None and user.pk is not None:
            password_changed(user=user)

    def get_help_text(self):
        return _("You cannot reuse any of your last %(n)d passwords.") % {
            "n": PASSWORD_HISTORY_DEPTH
        }
