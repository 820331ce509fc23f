"""Password rules beyond Django's built-ins (等保 2.0 asks for character classes)."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


class CharacterClassValidator:
    """At least three of four classes: upper case, lower case, digits, symbols (GB/T 22239-2019)."""

    CLASSES = (r"[A-Z]", r"[a-z]", r"[0-9]", r"[^A-Za-z0-9]")

    def __init__(self, min_classes: int = 3):
        self.min_classes = min_classes

    def validate(self, password, user=None):
        found = sum(1 for pattern in self.CLASSES if re.search(pattern, password))
        if found < self.min_classes:
            raise ValidationError(
                ngettext(
                    "The password must contain at least %(n)d of: upper-case letters, lower-case "
                    "letters, digits, symbols.",
                    "The password must contain at least %(n)d of: upper-case letters, lower-case "
                    "letters, digits, symbols.",
                    self.min_classes,
                )
                % {"n": self.min_classes},
                code="password_too_simple",
            )

    def get_help_text(self):
        return _("Use at least three of: upper-case letters, lower-case letters, digits, symbols.")
