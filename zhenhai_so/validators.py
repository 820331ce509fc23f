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


# C0 and C1 controls (DEL included), and the invisible characters that reorder or hide text:
# bidi embeddings, overrides and isolates (Trojan Source, CVE-2021-42574), zero-width marks, the
# byte-order mark, the line and paragraph separators. See docs/security.md, finding P2.
_FORBIDDEN = (
    r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u180e\u200b-\u200f\u2028-\u202e"
    r"\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
)
_SINGLE_LINE = re.compile(rf"[{_FORBIDDEN}\t\n\r]")
_MULTI_LINE = re.compile(rf"[{_FORBIDDEN}]")


def find_forbidden_character(value: str, *, multiline: bool = False) -> str | None:
    """The first character of ``value`` that no text field may hold (line breaks and tabs are
    allowed only when ``multiline``), or None."""
    match = (_MULTI_LINE if multiline else _SINGLE_LINE).search(value)
    return match.group() if match else None


def forbidden_character_message(char: str) -> str:
    return _(
        "Remove the invisible or control character (U+%(code)s) from this text; it cannot be "
        "stored."
    ) % {"code": f"{ord(char):04X}"}


def validate_plain_text(value: str, *, multiline: bool = False) -> None:
    """Refuse control, direction and zero-width characters in text typed or imported; used by
    every portal form (``zhenhai_so.forms.CleanTextMixin``) and every import
    (``importing.parse_text``)."""
    char = find_forbidden_character(value, multiline=multiline)
    if char is not None:
        raise ValidationError(forbidden_character_message(char), code="forbidden_character")
