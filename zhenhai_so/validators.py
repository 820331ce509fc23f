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
