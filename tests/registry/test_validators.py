"""Tests for registry.validators: unified social credit codes (GB 32100-2015, GB 11714-1997)."""

import os
import random

import pytest
from django.conf import settings

# Rendering gettext_lazy messages needs settings.  Under pytest-django the project settings are
# already loaded; when this module is run on its own (``-p no:django``) minimal settings do.
if not settings.configured and not os.environ.get("DJANGO_SETTINGS_MODULE"):
    settings.configure(USE_I18N=False)

from django.core.exceptions import ValidationError  # noqa: E402
from stdnum.cn import uscc  # noqa: E402
from stdnum.exceptions import InvalidComponent  # noqa: E402

from registry import validators  # noqa: E402
from registry.validators import (  # noqa: E402
    CREDIT_CODE_ALPHABET,
    credit_code_check_digit,
    make_credit_code,
    normalise_credit_code,
    organisation_code_check_digit,
    validate_credit_code,
)

# Real unified social credit codes of social organisations, as published.  Each one was checked
# with python-stdnum (uscc.is_valid) and against the GB 11714 check of its organisation code
# before being added here.  Sources are public GitHub files found through code search.
REAL_CODES = [
    # 宁波市善园公益基金会 (Ningbo Shanyuan public welfare foundation, registered by 宁波市民政局):
    # "机构代码：53330200MJ8959573D" on its own site, windmill1992/home,
    # src/main/webapp/WEB-INF/views/help/about.jsp.
    "53330200MJ8959573D",
    # 中国自动化学会 (Chinese Association of Automation): an expense-claim system that refuses
    # invoices whose purchaser tax number is not 51100000500002862F / 中国自动化学会.
    "51100000500002862F",
    # 中国复合材料工业协会 (China Composites Industry Association): its O2OA office-system
    # deployment notes use it as the top organisation's unique id.
    "51100000500009247D",
    # 中国医疗保健国际交流促进会 (China International Exchange and Promotive Association for
    # Medical and Health Care): a lab README giving it as the invoice title's tax number.
    "51100000500012681T",
    # The next six are from a public Java credit-code checker (class Regex_CreditCode, 2016)
    # whose sample list was collected from real published codes; the organisation names are not
    # given there.  Shaanxi Hanzhong social group, national social group, Shaanxi Xianyang
    # private non-enterprise unit, Shanxi Datong social group, Guangzhou Yuexiu private
    # non-enterprise unit, Tianjin private non-enterprise unit.
    "51610700305332460K",
    "51100000500019541K",
    "52610500MJU60350X1",
    "51140200MJ1693047P",
    "52440111MJK9980480",
    "52120000MJ0529018E",
]

# Published in seed data on GitHub as 中华全国工商业联合会's code, but its GB 32100 check
# character is wrong (stdnum agrees): a made-up code the validator must refuse.
PUBLISHED_BUT_INVALID = ["51100000500000024G"]

ORG_TYPE_FOR_CATEGORY = {"1": "social_group", "2": "private_non_enterprise", "3": "foundation"}

MUTATED_POSITIONS = [0, 1, 2, 7, 8, 9, 12, 15, 16, 17]


def _error(value, org_type=None) -> ValidationError:
    with pytest.raises(ValidationError) as excinfo:
        validate_credit_code(value, org_type)
    return excinfo.value


def _with_check(first17: str) -> str:
    """Append the GB 32100 check character, so that only our own rules can fail."""
    return first17 + uscc.calc_check_digit(first17)


def _to_fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


# --- real codes ----------------------------------------------------------------------------


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_code_is_valid(code):
    assert uscc.is_valid(code)  # independent confirmation that the code is well formed
    validate_credit_code(code)
    org_type = ORG_TYPE_FOR_CATEGORY[code[1]]
    validate_credit_code(code, org_type)
    validate_credit_code(code, "community")


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_code_check_digits_match_helpers(code):
    assert credit_code_check_digit(code[:17]) == code[17]
    assert organisation_code_check_digit(code[8:16]) == code[16]
    assert make_credit_code(code[1], code[2:8], code[8:16]) == code


@pytest.mark.parametrize("code", PUBLISHED_BUT_INVALID)
def test_published_code_with_bad_check_digit_is_refused(code):
    assert not uscc.is_valid(code)
    assert _error(code).code == "checksum"


# --- mutations -----------------------------------------------------------------------------


@pytest.mark.parametrize("position", MUTATED_POSITIONS)
@pytest.mark.parametrize("code", REAL_CODES)
def test_every_single_substitution_fails(code, position):
    for replacement in CREDIT_CODE_ALPHABET:
        if replacement == code[position]:
            continue
        mutated = code[:position] + replacement + code[position + 1 :]
        with pytest.raises(ValidationError):
            validate_credit_code(mutated)


@pytest.mark.parametrize("code", REAL_CODES)
def test_every_adjacent_swap_fails(code):
    swapped_any = False
    for i in range(len(code) - 1):
        if code[i] == code[i + 1]:
            continue
        swapped_any = True
        mutated = code[:i] + code[i + 1] + code[i] + code[i + 2 :]
        with pytest.raises(ValidationError):
            validate_credit_code(mutated)
    assert swapped_any


@pytest.mark.parametrize(
    "value",
    [
        "",
        "5",
        REAL_CODES[0][:-1],
        REAL_CODES[0] + "0",
        REAL_CODES[0][:-2],
        REAL_CODES[0] + REAL_CODES[0],
    ],
)
def test_wrong_length(value):
    error = _error(value)
    assert error.code == "length"
    assert error.params == {"length": len(value)}


def test_none_is_refused_as_empty():
    assert _error(None).code == "length"


@pytest.mark.parametrize("code", REAL_CODES)
def test_checksum_message_names_expected_character(code):
    wrong = next(c for c in "0123456789" if c != code[17])
    error = _error(code[:17] + wrong)
    assert error.code == "checksum"
    assert error.params == {"expected": code[17]}
    assert code[17] in error.messages[0]


# --- normalisation -------------------------------------------------------------------------


@pytest.mark.parametrize("code", REAL_CODES)
@pytest.mark.parametrize(
    "variant",
    [
        str.lower,
        _to_fullwidth,
        lambda c: _to_fullwidth(c.lower()),
        lambda c: f"  {c[:8]} {c[8:17]} {c[17]}\n",
        lambda c: f"\u3000{c[:2]}-{c[2:8]}-{c[8:17]}-{c[17]}\u3000",
        lambda c: _to_fullwidth(f"{c[:8]}-{c[8:]}").replace("\uff0d", "\uff0d\u3000"),
        lambda c: f"{c[:8]}\u2013{c[8:].lower()}\t",
    ],
    ids=[
        "lower",
        "fullwidth",
        "fullwidth-lower",
        "spaces",
        "ideographic-space-hyphens",
        "fullwidth-hyphen",
        "en-dash-tab",
    ],
)
def test_messy_input_normalises_then_passes(code, variant):
    messy = variant(code)
    assert messy != code
    assert normalise_credit_code(messy) == code
    validate_credit_code(messy)


def test_normalise_leaves_other_characters_alone():
    # Not a credit code at all: normalisation must not hide that from the validator.
    assert normalise_credit_code(" 社会组织 ") == "社会组织"
    assert _error("社会组织").code == "length"
    assert _error("社会组织" + "1" * 14).code == "format"


# --- our own rules -------------------------------------------------------------------------


@pytest.mark.parametrize("department", ["9", "1", "3", "8", "Y", "A", "N"])
@pytest.mark.parametrize("code", REAL_CODES[:3])
def test_other_registration_departments_refused(code, department):
    # 9 = market regulation (companies), 1 = institutional organisation, ... only 5 = civil
    # affairs registers social organisations.  The final check is recomputed so that the code
    # is valid GB 32100 and only our rule can refuse it.
    mutated = _with_check(department + code[1:17])
    assert uscc.is_valid(mutated) == department.isdigit()  # stdnum wants digits there
    error = _error(mutated)
    if department.isdigit():
        assert error.code == "department"
        assert error.params == {"found": department}
    else:
        assert error.code == "format"


def test_real_company_code_refused():
    # A company's code (hutool's test data), valid GB 32100 but not a civil-affairs code.
    assert uscc.is_valid("91310110666007217T")
    assert _error("91310110666007217T").code == "department"


@pytest.mark.parametrize("category", ["0", "4", "5", "6", "7", "8"])
def test_unknown_category_refused(category):
    mutated = _with_check("5" + category + REAL_CODES[0][2:17])
    error = _error(mutated)
    assert error.code == "category"
    assert error.params == {"found": category}


@pytest.mark.parametrize(
    ("category", "org_type", "accepted"),
    [
        ("1", "social_group", True),
        ("1", "private_non_enterprise", False),
        ("1", "foundation", False),
        ("1", "community", True),
        ("2", "social_group", False),
        ("2", "private_non_enterprise", True),
        ("2", "foundation", False),
        ("2", "community", True),
        ("3", "social_group", False),
        ("3", "private_non_enterprise", False),
        ("3", "foundation", True),
        ("3", "community", True),
        ("9", "social_group", False),
        ("9", "private_non_enterprise", False),
        ("9", "foundation", False),
        ("9", "community", True),
    ],
)
def test_category_must_agree_with_org_type(category, org_type, accepted):
    code = make_credit_code(category, "330211", "MJ123456")
    validate_credit_code(code)  # without org_type any civil-affairs category is fine
    if accepted:
        validate_credit_code(code, org_type)
    else:
        error = _error(code, org_type)
        assert error.code == "org_type_mismatch"
        assert error.params["found"] == category
        assert category in error.messages[0]


def test_real_foundation_is_not_a_social_group():
    error = _error("53330200MJ8959573D", "social_group")
    assert error.code == "org_type_mismatch"


def test_unknown_org_type_is_a_programming_error():
    with pytest.raises(ValueError, match="org_type"):
        validate_credit_code(REAL_CODES[0], "company")


@pytest.mark.parametrize("code", REAL_CODES)
def test_bad_organisation_code_check_refused_even_with_valid_final_check(code):
    good = code[16]
    for wrong in "0123456789X":
        if wrong == good:
            continue
        mutated = _with_check(code[:16] + wrong)
        assert uscc.is_valid(mutated)  # GB 32100 alone would accept it
        error = _error(mutated)
        assert error.code == "org_code_checksum"
        assert error.params == {"expected": good, "found": wrong}
        assert good in error.messages[0]


@pytest.mark.parametrize("letter", list("IOSVZ"))
@pytest.mark.parametrize("position", [0, 1, 5, 8, 9, 12, 16, 17])
def test_forbidden_letters_refused(letter, position):
    code = REAL_CODES[0]
    mutated = code[:position] + letter + code[position + 1 :]
    error = _error(mutated)
    assert error.code == "forbidden_letter"
    assert error.params == {"letters": letter}
    assert _error(mutated.lower()).code == "forbidden_letter"


def test_forbidden_letters_listed_once_each():
    assert _error("51330211MJOOSSZ000").params == {"letters": "O, S, Z"}


def test_letters_in_the_first_eight_positions_refused():
    code = REAL_CODES[1]
    error = _error(code[:4] + "A" + code[5:])
    assert error.code == "format"


def test_unexpected_stdnum_errors_are_translated(monkeypatch):
    # stdnum's uscc does not raise InvalidComponent today; make sure it would still become a
    # Django ValidationError with its own code rather than escape as a stdnum exception.
    def raise_component(number):
        raise InvalidComponent()

    monkeypatch.setattr(validators.uscc, "validate", raise_component)
    assert _error(REAL_CODES[0]).code == "component"


# --- helpers ---------------------------------------------------------------------------------


def test_make_credit_code_always_validates():
    rng = random.Random(20151001)  # GB 32100-2015 came into force on 2015-10-01
    divisions = ["330211", "330200", "330000", "330203", "330212", "110000", "100000"]
    org_alphabet = CREDIT_CODE_ALPHABET
    seen = set()
    for _ in range(500):
        category = rng.choice("1239")
        division = rng.choice(divisions)
        org_code8 = "".join(rng.choice(org_alphabet) for _ in range(8))
        code = make_credit_code(category, division, org_code8)
        assert len(code) == 18
        assert code.startswith("5" + category + division + org_code8)
        assert uscc.is_valid(code)
        validate_credit_code(code)
        validate_credit_code(code, ORG_TYPE_FOR_CATEGORY.get(category, "community"))
        seen.add(code[16])
    # The generator exercised both special GB 11714 outcomes (10 -> X, 11 -> 0).
    assert {"X", "0"} <= seen


@pytest.mark.parametrize(
    ("first8", "expected"),
    [
        # Organisation codes embedded in the real codes above.
        ("MJ895957", "3"),
        ("50000286", "2"),
        ("MJU60350", "X"),
        ("30533246", "0"),
        # Worked by hand: D=13 -> 39+14+9+40+15+40+24+18 = 199; 199 mod 11 = 1; 11 - 1 = 10.
        ("D2143569", "X"),
        # GB 11714 counts letters A-Z as 10-35, including I, O, S, V and Z (which old-style
        # organisation codes could contain even though credit codes cannot): S=28 -> 84 -> 4.
        ("S0000000", "4"),
    ],
)
def test_organisation_code_check_digit(first8, expected):
    assert organisation_code_check_digit(first8) == expected


def test_organisation_code_check_digit_by_hand():
    # 3*1 + 7*2 + 9*3 + 10*4 + 5*5 + 8*6 + 4*7 + 2*8 = 201; 201 mod 11 = 3; 11 - 3 = 8.
    assert organisation_code_check_digit("12345678") == "8"
    # Z = 35: 3*35 = 105; 105 mod 11 = 6; 11 - 6 = 5.
    assert organisation_code_check_digit("Z0000000") == "5"
    # All zeros: 11 - 0 = 11 -> "0".
    assert organisation_code_check_digit("00000000") == "0"
    # A 1 at the fourth position (weight 10): 11 - 10 = 1.
    assert organisation_code_check_digit("00010000") == "1"
    # Sum 1 (mod 11) -> 10 -> "X": 3*4 = 12.
    assert organisation_code_check_digit("40000000") == "X"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("4", "330211", "MJ123456"), "category"),
        (("1", "33021", "MJ123456"), "division"),
        (("1", "33021A", "MJ123456"), "division"),
        (("1", "330211", "MJ12345"), "org_code8"),
        (("1", "330211", "MO123456"), "org_code8"),
        (("1", "330211", "mj123456"), "org_code8"),
    ],
)
def test_make_credit_code_rejects_bad_arguments(args, message):
    with pytest.raises(ValueError, match=message):
        make_credit_code(*args)


@pytest.mark.parametrize("first17", ["5133021", REAL_CODES[0], "51330211MJ12345I7"])
def test_credit_code_check_digit_rejects_bad_input(first17):
    with pytest.raises(ValueError):
        credit_code_check_digit(first17)


@pytest.mark.parametrize("first8", ["1234567", "123456789", "1234567-"])
def test_organisation_code_check_digit_rejects_bad_input(first8):
    with pytest.raises(ValueError):
        organisation_code_check_digit(first8)
