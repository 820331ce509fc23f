"""import_data / export_data as DESIGN.md contract 3 describes them."""

import pytest
from django.core.management import CommandError, call_command

from registry.models import Organisation
from tests.factories import OrganisationFactory
from tests.imports.conftest import xlsx


def _file(tmp_path, rows, name="orgs.xlsx"):
    path = tmp_path / name
    path.write_bytes(xlsx(rows).getvalue())
    return path


def _run(*args):
    from io import StringIO

    out = StringIO()
    try:
        call_command("import_data", *args, stdout=out)
    except CommandError as error:
        return out.getvalue(), error
    return out.getvalue(), None


def test_a_valid_file_prints_the_counts_and_exits_zero(tmp_path, org_row, staff):
    out, error = _run("organisations", str(_file(tmp_path, [org_row(1), org_row(2)])))
    assert error is None
    assert out.splitlines() == ["new: 2, updated: 0, unchanged: 0, invalid: 0"]
    assert Organisation.objects.count() == 2


def test_an_invalid_row_prints_one_line_each_and_fails_writing_nothing(tmp_path, org_row):
    path = _file(tmp_path, [org_row(1), org_row(2, 名称=None), org_row(3, 状态="撤销")])
    out, error = _run("organisations", str(path))
    assert str(error) == "2 invalid rows."
    assert out.splitlines() == [
        "new: 1, updated: 0, unchanged: 0, invalid: 2",
        "row 3: 名称: This column is required.",
        "row 4: 注销日期: A deregistered or revoked organisation needs the date.",
        "Nothing was written.",
    ]
    assert not Organisation.objects.exists()


def test_skip_invalid_writes_the_valid_rows_and_still_exits_non_zero(tmp_path, org_row):
    path = _file(tmp_path, [org_row(1), org_row(2, 名称=None)])
    out, error = _run("organisations", str(path), "--skip-invalid")
    assert error is not None
    assert Organisation.objects.count() == 1


def test_dry_run_writes_nothing(tmp_path, org_row):
    out, error = _run("organisations", str(_file(tmp_path, [org_row(1)])), "--dry-run")
    assert error is None
    assert out.splitlines()[-1] == "Nothing was written (dry run)."
    assert not Organisation.objects.exists()


def test_a_renamed_binary_is_refused_before_reading(tmp_path):
    path = tmp_path / "fake.xlsx"
    path.write_bytes(b"MZ\x90\x00 not a workbook")
    out, error = _run("organisations", str(path))
    assert "not an Excel workbook" in str(error)


def test_an_unknown_kind_is_an_error(tmp_path, org_row):
    with pytest.raises(CommandError, match="Unknown kind 'planets'; known kinds: ") as error:
        call_command("import_data", "planets", str(_file(tmp_path, [org_row(1)])))
    named = str(error.value).split("known kinds: ")[1].rstrip(".").split(", ")
    assert {"organisations", "annual-reports", "evaluations", "projects"} <= set(named)


def test_export_data_writes_what_import_data_reads_back_unchanged(tmp_path, township):
    OrganisationFactory.create_batch(4, township=township)
    path = tmp_path / "export.xlsx"
    call_command("export_data", "organisations", str(path), stdout=open("/dev/null", "w"))  # noqa: SIM115
    out, error = _run("organisations", str(path))
    assert error is None
    assert out.splitlines() == ["new: 0, updated: 0, unchanged: 4, invalid: 0"]


def test_import_as_a_township_user_is_confined_to_their_township(tmp_path, org_row, township_user):
    out, error = _run(
        "organisations", str(_file(tmp_path, [org_row(1)])), "--user", "township_user"
    )
    assert "Township offices may only import filed community organisations" in out
