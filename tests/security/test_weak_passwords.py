"""Weak passwords the penetration test got through are refused: like the user's or the portal's
or the district's names, a common word dressed with digits and symbols, mostly whitespace, or
longer than 128 characters (docs/security.md, finding P9)."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from zhenhai_so.models import User


def _user():
    return User(username="luotuo", full_name="骆驼街道 Wang Fang", email="wf@example.cn")


@pytest.mark.parametrize(
    "password",
    [
        "Luotuo#2026x",  # the user name with a year
        "Zhenhai#2026",  # the district's name
        "ZhenHaiQu@2026",
        "Ningbo!2026ab",
        "Password123!",  # a common word dressed up
        "P@ssw0rd2026!",
        "Wangfang#2026",  # the user's own name
        "A1#" + " " * 9,  # mostly whitespace
        "Ab1#" + "x" * 4092,  # 4,096 characters
    ],
    ids=lambda p: p[:16].strip() or "spaces",
)
def test_weak_passwords_are_refused(password, db):
    with pytest.raises(ValidationError):
        validate_password(password, _user())


@pytest.mark.parametrize("password", ["Correct-Horse-9", "Lowercase123456", "Tq7#vLm2pX9z"])
def test_strong_passwords_pass(password, db):
    validate_password(password, _user())


def test_128_characters_are_allowed(db):
    validate_password("Ab1#" + "qwzx" * 31, _user())
