"""Cell formats every sheet accepts (DESIGN.md contract 4)."""

import datetime
from decimal import Decimal

import pytest
from django.utils import translation

from zhenhai_so.importing import (
    CellError,
    parse_bool,
    parse_choice,
    parse_date,
    parse_decimal,
    parse_int,
    parse_text,
)

MARCH_5 = datetime.date(2018, 3, 5)


@pytest.mark.parametrize(
    "value",
    [
        MARCH_5,
        datetime.datetime(2018, 3, 5, 0, 0),
        "2018-03-05",
        "2018-3-5",
        "2018/3/5",
        "2018/03/05",
        "2018年3月5日",
        " 2018 年 3 月 5 日 ",
        43164,  # the Excel serial number of 2018-03-05, when a date cell lost its format
        43164.0,
    ],
)
def test_every_date_format_reads_as_the_same_day(value):
    assert parse_date(value) == MARCH_5


@pytest.mark.parametrize("value", ["2018-02-30", "05/03/2018", "三月五日", "2018", 43164.5, True])
def test_what_is_not_a_date_is_refused_with_the_formats_to_use(value):
    with pytest.raises(CellError):
        parse_date(value)


def test_a_blank_date_is_none_unless_required():
    assert parse_date("  ") is None
    with pytest.raises(CellError, match="required"):
        parse_date(None, required=True)


@pytest.mark.parametrize("value", ["是", "Y", "y", "1", 1, 1.0, "TRUE", "true", True])
def test_yes_values(value):
    assert parse_bool(value) is True


@pytest.mark.parametrize("value", ["否", "N", "n", "0", 0, "FALSE", "False", False])
def test_no_values(value):
    assert parse_bool(value) is False


@pytest.mark.parametrize("value", ["也许", "2", 2, "yesno"])
def test_other_yes_no_values_are_refused(value):
    with pytest.raises(CellError, match="是 or 否"):
        parse_bool(value)


def test_a_blank_yes_no_cell_means_no():
    assert parse_bool("") is False


@pytest.mark.parametrize(
    ("value", "expected"),
    [(12.3, Decimal("12.3")), ("1,234.50", Decimal("1234.50")), (3, Decimal(3)), ("", None)],
)
def test_decimals(value, expected):
    assert parse_decimal(value, max_digits=12, decimal_places=2) == expected


@pytest.mark.parametrize("value", ["abc", 1.234, 10**10, -1, "NaN"])
def test_decimals_that_do_not_fit_the_field_are_refused(value):
    with pytest.raises(CellError):
        parse_decimal(value, max_digits=12, decimal_places=2)


def test_whole_numbers():
    assert parse_int(3.0) == 3
    assert parse_int("12") == 12
    for bad in (3.5, "x", -1):
        with pytest.raises(CellError):
            parse_int(bad)


def test_text_is_trimmed_and_its_length_checked():
    assert parse_text("  镇海  ") == "镇海"
    assert parse_text(86001234.0) == "86001234"
    with pytest.raises(CellError, match="At most 3"):
        parse_text("abcd", max_length=3)


def test_choices_by_label_or_value():
    choices = {"合格": "qualified", "qualified": "qualified"}
    assert parse_choice("合格", choices) == "qualified"
    assert parse_choice("QUALIFIED", choices) == "qualified"
    with pytest.raises(CellError, match="合格"):
        parse_choice("优秀", choices)


def test_messages_are_in_chinese_by_default():
    with translation.override("zh-hans"), pytest.raises(CellError, match="该列为必填项"):
        parse_date(None, required=True)
