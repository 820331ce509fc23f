"""Unified social credit codes (统一社会信用代码) of social organisations.

Every social organisation registered by a civil affairs bureau (民政局) carries an 18-character
unified social credit code defined by GB 32100-2015 《法人和其他组织统一社会信用代码编码规则》::

    5  1  330211  MJ1234567  X
    |  |  |       |          `-- position 18: GB 32100 check character (mod 31)
    |  |  |       `------------- positions 9-17: organisation code (组织机构代码, GB 11714-1997),
    |  |  |                      whose 9th character is its own GB 11714 check character
    |  |  `--------------------- positions 3-8: administrative division of the registering
    |  |                         authority (GB/T 2260; 330211 = 宁波市镇海区)
    |  `------------------------ position 2: category within the department
    `--------------------------- position 1: registration department (5 = 民政, civil affairs)

The characters are the digits and the capital letters except I, O, S, V and Z, which the standard
leaves out because they are too easily mistaken for 1, 0, 5, U and 2.

python-stdnum's :mod:`stdnum.cn.uscc` checks the generic GB 32100 shape and check character; this
module adds what only holds for the organisations this portal manages (department 5, the civil
affairs categories, the category agreeing with the organisation type) and the GB 11714 check of the
embedded organisation code, which stdnum does not verify (it has no GB 11714 module).

References:

* GB 32100-2015, 法人和其他组织统一社会信用代码编码规则 (coding rule for the unified social credit
  identifier of legal entities and other organisations); full text in the national standards
  public system, https://openstd.samr.gov.cn/ (search "GB 32100").
* GB 11714-1997, 全国组织机构代码编制规则 (rules of coding for the representation of
  organisations), which defines the 9-character organisation code and its check character.
* 国发〔2015〕33号 (State Council plan introducing the unified code), and the Ministry of Civil
  Affairs' code assignment for 社会组织 (department code 5; categories 1, 2, 3, 9).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum import exceptions as stdnum_exceptions
from stdnum.cn import uscc

__all__ = [
    "CATEGORY_LABELS",
    "CIVIL_AFFAIRS_DEPARTMENT",
    "CREDIT_CODE_ALPHABET",
    "ORG_TYPE_CATEGORIES",
    "credit_code_check_digit",
    "make_credit_code",
    "normalise_credit_code",
    "organisation_code_check_digit",
    "validate_credit_code",
]

CREDIT_CODE_LENGTH = 18

#: GB 32100-2015 character set, in the order that gives each character its value (0-30).
CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"

#: Letters that GB 32100 never uses (look-alikes of 1, 0, 5, U and 2).
FORBIDDEN_LETTERS = "IOSVZ"

#: Registration department code of civil affairs (民政), GB 32100-2015 table 1.
CIVIL_AFFAIRS_DEPARTMENT = "5"

#: Category codes that civil affairs assigns (GB 32100-2015 table 1, department 5).
CATEGORY_LABELS = {
    "1": _("social group"),  # 社会团体
    "2": _("private non-enterprise unit"),  # 民办非企业单位 (社会服务机构)
    "3": _("foundation"),  # 基金会
    "9": _("other"),  # 其他
}

#: Which category characters each of our organisation types may carry.  Community social
#: organisations (社区社会组织) are often only filed (备案) rather than registered; when they are
#: registered they may be any of the three kinds, and filed ones get category 9 ("other").
ORG_TYPE_CATEGORIES: dict[str, frozenset[str]] = {
    "social_group": frozenset("1"),
    "private_non_enterprise": frozenset("2"),
    "foundation": frozenset("3"),
    "community": frozenset("1239"),
}

ORG_TYPE_LABELS = {
    "social_group": _("social group"),
    "private_non_enterprise": _("private non-enterprise unit"),
    "foundation": _("foundation"),
    "community": _("community social organisation"),
}

#: GB 11714-1997 weights for the first eight characters of an organisation code.
_GB11714_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

#: Characters removed anywhere in the input: hyphen and the dashes that word processors and
#: input methods substitute for it.  Whitespace of any kind is removed as well.
_SEPARATORS = frozenset("-\u2010\u2011\u2012\u2013\u2014\u2212")

#: Full-width ASCII (U+FF01-U+FF5E) -> ASCII, plus the ideographic space U+3000 -> space.
#: Chinese input methods in full-width mode produce these.
_FULLWIDTH_TO_ASCII = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_FULLWIDTH_TO_ASCII[0x3000] = 0x20


def normalise_credit_code(value: str) -> str:
    """Return *value* in the canonical form in which credit codes are stored and compared.

    Full-width ASCII characters (U+FF01-U+FF5E, typed with a Chinese input method in full-width
    mode) become half-width, surrounding and inner whitespace (including the ideographic space
    U+3000) and hyphens are dropped, and letters are upper-cased: GB 32100 codes only contain
    capital letters, and certificates often print the code in groups separated by spaces.

    Nothing is validated here; pass the result to :func:`validate_credit_code`.
    """
    value = value.translate(_FULLWIDTH_TO_ASCII)
    return "".join(c for c in value if not c.isspace() and c not in _SEPARATORS).upper()


def _check_alphabet(value: str, alphabet: str, what: str) -> None:
    bad = sorted({c for c in value if c not in alphabet})
    if bad:
        raise ValueError(f"{what} contains characters outside {alphabet!r}: {''.join(bad)!r}")


def credit_code_check_digit(first17: str) -> str:
    """Return the GB 32100-2015 check character (position 18) for the first 17 characters.

    Weights 3**i mod 31 over the character values of :data:`CREDIT_CODE_ALPHABET`; the check
    character brings the weighted sum to 0 mod 31.  Computed by :func:`stdnum.cn.uscc.
    calc_check_digit`; raises :class:`ValueError` for input that is not 17 characters of the
    GB 32100 alphabet (this is a programming helper, not a user-facing validator).
    """
    if len(first17) != CREDIT_CODE_LENGTH - 1:
        raise ValueError(f"expected 17 characters, got {len(first17)}: {first17!r}")
    _check_alphabet(first17, CREDIT_CODE_ALPHABET, "credit code")
    return uscc.calc_check_digit(first17)


def organisation_code_check_digit(first8: str) -> str:
    """Return the GB 11714-1997 check character of an organisation code's first 8 characters.

    Digits count 0-9 and letters A-Z count 10-35; the weights are 3, 7, 9, 10, 5, 8, 4, 2.  The
    check is ``11 - (sum mod 11)``, written ``X`` when it is 10 and ``0`` when it is 11.
    python-stdnum has no GB 11714 module, hence this implementation.
    """
    if len(first8) != 8:
        raise ValueError(f"expected 8 characters, got {len(first8)}: {first8!r}")
    _check_alphabet(first8, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", "organisation code")
    total = sum(int(c, 36) * w for c, w in zip(first8, _GB11714_WEIGHTS, strict=True))
    check = 11 - total % 11
    if check == 10:
        return "X"
    if check == 11:
        return "0"
    return str(check)


def make_credit_code(category: str, division: str, org_code8: str) -> str:
    """Build a complete, valid civil-affairs credit code.

    ``"5" + category + division + org_code8 + GB 11714 check + GB 32100 check``.  Used by the
    demo-data generator and the tests; raises :class:`ValueError` on bad arguments.

    :param category: ``"1"``, ``"2"``, ``"3"`` or ``"9"`` (see :data:`CATEGORY_LABELS`).
    :param division: six-digit GB/T 2260 division of the registering bureau, e.g. ``"330211"``.
    :param org_code8: first eight characters of the organisation code, from the GB 32100 alphabet
        (civil affairs bureaus currently assign codes starting ``MJ``).
    """
    if category not in CATEGORY_LABELS:
        raise ValueError(f"category must be one of {''.join(CATEGORY_LABELS)}, not {category!r}")
    if len(division) != 6 or not all(c in "0123456789" for c in division):
        raise ValueError(f"division must be six digits, not {division!r}")
    if len(org_code8) != 8:
        raise ValueError(f"org_code8 must have 8 characters, not {org_code8!r}")
    _check_alphabet(org_code8, CREDIT_CODE_ALPHABET, "org_code8")
    first17 = (
        CIVIL_AFFAIRS_DEPARTMENT
        + category
        + division
        + org_code8
        + organisation_code_check_digit(org_code8)
    )
    return first17 + credit_code_check_digit(first17)


def _check_generic_format(code: str) -> None:
    """GB 32100 shape and check character, via stdnum, with our own messages."""
    forbidden = sorted({c for c in code if c in FORBIDDEN_LETTERS})
    if forbidden:
        # stdnum would only say "invalid format"; the specific message helps people who read
        # an O for a 0 off a paper certificate.
        raise ValidationError(
            _("Credit codes never contain the letters I, O, S, V or Z (found %(letters)s)."),
            code="forbidden_letter",
            params={"letters": ", ".join(forbidden)},
        )
    try:
        uscc.validate(code)
    except stdnum_exceptions.InvalidLength:  # subclass of InvalidFormat: must come first
        raise ValidationError(
            _("A credit code has 18 characters; this one has %(length)d."),
            code="length",
            params={"length": len(code)},
        ) from None
    except stdnum_exceptions.InvalidFormat:
        raise ValidationError(
            _(
                "A credit code consists of digits and capital letters only, and its first eight "
                "characters are digits."
            ),
            code="format",
        ) from None
    except stdnum_exceptions.InvalidChecksum:
        raise ValidationError(
            _(
                "The check digit is wrong: expected %(expected)s. Please check the code against "
                "the registration certificate."
            ),
            code="checksum",
            params={"expected": uscc.calc_check_digit(code[:17])},
        ) from None
    except stdnum_exceptions.InvalidComponent:
        raise ValidationError(
            _("Part of the credit code is not valid."), code="component"
        ) from None
    except stdnum_exceptions.ValidationError:
        raise ValidationError(_("This is not a valid credit code."), code="invalid") from None


def validate_credit_code(value, org_type: str | None = None) -> None:
    """Raise :class:`~django.core.exceptions.ValidationError` unless *value* is a valid code of a
    social organisation registered by civil affairs (of type *org_type*, when given).

    *value* is normalised first (:func:`normalise_credit_code`), so lower-case or full-width input
    is accepted; store the normalised form.  The checks, in order:

    1. GB 32100-2015 length, character set (no I, O, S, V, Z; positions 1-8 digits) and check
       character (via :mod:`stdnum.cn.uscc`): catches typing errors, since the mod-31 check detects
       every single wrong character and every swap of two neighbours.
    2. Position 1 must be ``5``: only civil affairs registers social organisations, so a company
       code (``9``, market regulation) or an institution code (``1``) belongs to another register.
    3. Position 2 must be a civil-affairs category: 1 社会团体, 2 民办非企业单位, 3 基金会, 9 其他.
    4. When *org_type* is given (``"social_group"``, ``"private_non_enterprise"``, ``"foundation"``
       or ``"community"``), position 2 must agree with it, so that a foundation is not filed under
       a social group's code.  ``"community"`` accepts any category (see
       :data:`ORG_TYPE_CATEGORIES`).
    5. Positions 9-17 are a GB 11714-1997 organisation code whose last character is its own check
       character.  The GB 32100 check is computed over the organisation code as written, so it
       does not catch a code whose organisation part was made up or mistyped before the final
       check character was (re)computed; this check does.

    An unknown *org_type* is a programming error and raises :class:`ValueError`.
    """
    if org_type is not None and org_type not in ORG_TYPE_CATEGORIES:
        raise ValueError(
            f"unknown org_type {org_type!r}; expected one of {list(ORG_TYPE_CATEGORIES)}"
        )
    code = normalise_credit_code("" if value is None else str(value))

    _check_generic_format(code)

    department, category, org_code = code[0], code[1], code[8:17]
    if department != CIVIL_AFFAIRS_DEPARTMENT:
        raise ValidationError(
            _(
                "This is not the code of a social organisation: the first character must be 5 "
                "(registered by civil affairs), not %(found)s."
            ),
            code="department",
            params={"found": department},
        )
    if category not in CATEGORY_LABELS:
        raise ValidationError(
            _(
                "The second character must be 1 (social group), 2 (private non-enterprise unit), "
                "3 (foundation) or 9 (other), not %(found)s."
            ),
            code="category",
            params={"found": category},
        )
    if org_type is not None and category not in ORG_TYPE_CATEGORIES[org_type]:
        raise ValidationError(
            _(
                "The second character %(found)s marks a %(found_label)s, but this organisation is "
                "a %(org_type)s (expected %(expected)s)."
            ),
            code="org_type_mismatch",
            params={
                "found": category,
                "found_label": CATEGORY_LABELS[category],
                "org_type": ORG_TYPE_LABELS[org_type],
                "expected": " / ".join(sorted(ORG_TYPE_CATEGORIES[org_type])),
            },
        )
    expected = organisation_code_check_digit(org_code[:8])
    if org_code[8] != expected:
        raise ValidationError(
            _(
                "The organisation code (characters 9 to 17) has a wrong check digit: expected "
                "%(expected)s, found %(found)s."
            ),
            code="org_code_checksum",
            params={"expected": expected, "found": org_code[8]},
        )
