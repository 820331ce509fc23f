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


# Facts cannot come from the future: a registration, dissolution, submission, inspection,
# publication, evaluation, training or naming date later than today is refused where it is entered
# (a form's field, an import's row). Only planned dates (a project's planned end, the end of a
# public notice) may lie ahead. See docs/rules.md.


def future_date_message():
    return _("The date is in the future.")


def validate_not_in_future(value, today=None) -> None:
    """Refuse a date of a fact that lies after today (``today`` defaults to the local date)."""
    import datetime

    from django.utils import timezone

    if isinstance(value, datetime.datetime):
        value = value.date()
    if value and value > (today or timezone.localdate()):
        raise ValidationError(future_date_message(), code="future")


def future_date_errors(instance, fields, today=None) -> dict:
    """``{field: message}`` for each of ``fields`` whose date on ``instance`` lies after today,
    for a model's ``clean()``."""
    errors = {}
    for name in fields:
        try:
            validate_not_in_future(getattr(instance, name), today)
        except ValidationError as error:
            errors[name] = error.messages
    return errors


def raise_future_dates(instance, fields, today=None) -> None:
    """For a model's ``clean()``: refuse, at their fields, the dates of facts after today."""
    errors = future_date_errors(instance, fields, today)
    if errors:
        raise ValidationError(errors)


def parse_past_date(value, *, required: bool = False):
    """An import's converter (as ``zhenhai_so.importing.parse_date``) for the date of a fact:
    a date after today is the row's error at its column."""
    from django.utils import timezone

    from zhenhai_so.importing import CellError, parse_date

    date = parse_date(value, required=required)
    if date and date > timezone.localdate():
        raise CellError(future_date_message())
    return date


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


class PortalPasswordValidator:
    """What Django's validators let through (docs/security.md, finding P9):

    - a password like the user's name, full name or e-mail, or the portal's or the district's
      names, dressed with digits and symbols (``Luotuo#2026x``, ``Zhenhai#2026``): the letters
      of the password, lower-cased, may not contain any of them;
    - a common password dressed the same way (``Password123!``, ``P@ssw0rd2026!``): its letters,
      with leading and trailing digits and symbols taken off and look-alike digits read as
      letters, may not be a common password;
    - mostly whitespace (``A1#`` and nine spaces): at least ``min_length`` characters that are
      not whitespace;
    - longer than ``max_length`` (128): hashing a 4,096-character password costs the server.
    """

    NAMES = ("zhenhai", "zhenhaiqu", "ningbo", "镇海", "宁波", "minzheng", "民政", "社会组织")
    LEET = str.maketrans(
        {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
    )

    def __init__(self, min_length: int = 10, max_length: int = 128):
        self.min_length, self.max_length = min_length, max_length

    @staticmethod
    def _letters(text: str) -> str:
        return "".join(ch for ch in text.lower() if ch.isalpha())

    def _names(self, user) -> set[str]:
        names = set(self.NAMES)
        if user is not None:
            username = str(getattr(user, "username", "") or "")
            full_name = str(getattr(user, "full_name", "") or "")
            email = str(getattr(user, "email", "") or "").split("@")[0]
            parts = [username, email, full_name, *full_name.split()]
            names.update(self._letters(p) for p in parts)
        return {name for name in names if len(name) >= 4}

    def validate(self, password, user=None):
        if len(password) > self.max_length:
            raise ValidationError(
                _("The password may have at most %(n)d characters.") % {"n": self.max_length},
                code="password_too_long",
            )
        if sum(1 for ch in password if not ch.isspace()) < self.min_length:
            raise ValidationError(
                _("The password needs at least %(n)d characters that are not spaces.")
                % {"n": self.min_length},
                code="password_mostly_whitespace",
            )
        letters = self._letters(password)
        if any(name in letters for name in self._names(user)):
            raise ValidationError(
                _("The password is too like your name or the portal's or the district's name."),
                code="password_too_similar",
            )
        from django.contrib.auth.password_validation import CommonPasswordValidator

        common = CommonPasswordValidator().passwords
        trimmed = re.sub(r"^[\W\d_]+|[\W\d_]+$", "", password.lower())
        cores = {letters, self._letters(trimmed.translate(self.LEET))}
        if any(len(core) >= 4 and core in common for core in cores):
            raise ValidationError(
                _("The password is a common password with digits or symbols added."),
                code="password_too_common",
            )

    def get_help_text(self):
        return _(
            "Not like your name or the portal's name, not a common word with digits added, at "
            "most %(n)d characters."
        ) % {"n": self.max_length}
