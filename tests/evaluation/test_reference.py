"""Loading the indicator systems: both versions side by side, idempotent, and a system that
evaluations use is never changed by a differing fixture."""

import json

import pytest

from evaluation import reference
from evaluation.models import IndicatorSystem
from tests.factories import EvaluationFactory

pytestmark = pytest.mark.django_db


def test_both_versions_load_with_nine_categories_and_36_items_adding_up_to_1000():
    for system in IndicatorSystem.objects.filter(code__in=["zhenhai-2018", "zhenhai-2021"]):
        assert system.categories.count() == 9
        assert system.items.count() == 36
        assert sum(i.max_points for i in system.items.all()) == system.total_points == 1000
        assert [t.grade for t in system.thresholds.all()] == ["5A", "4A", "3A", "2A", "1A"]
        assert system.validity_years == 5


def test_loading_again_changes_nothing():
    assert reference.load() == [
        "evaluation: zhenhai-2018: unchanged",
        "evaluation: zhenhai-2021: unchanged",
    ]


def _edited_fixture(tmp_path, max_points):
    path = reference.FIXTURES / "indicator_system_2018.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["categories"][0]["items"][0]["max_points"] = max_points
    data["categories"][0]["items"][1]["max_points"] -= max_points - 15  # keep the 1000 total
    edited = tmp_path / "indicator_system_2018.json"
    edited.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return edited


def test_a_differing_fixture_is_reported_not_applied_when_evaluations_use_the_system(tmp_path):
    EvaluationFactory()
    line = reference.load_file(_edited_fixture(tmp_path, 20))
    assert "differs" in line and "left unchanged" in line
    assert IndicatorSystem.objects.get(code="zhenhai-2018").items.get(code="1.1").max_points == 15


def test_a_differing_fixture_updates_an_unused_system(tmp_path):
    line = reference.load_file(_edited_fixture(tmp_path, 20))
    assert "updated" in line
    system = IndicatorSystem.objects.get(code="zhenhai-2018")
    assert system.items.get(code="1.1").max_points == 20
    assert system.items.count() == 36


def test_a_fixture_whose_items_do_not_add_up_is_refused(tmp_path):
    path = reference.FIXTURES / "indicator_system_2021.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["code"] = "broken"
    data["categories"][0]["items"][0]["max_points"] += 1
    broken = tmp_path / "indicator_system_broken.json"
    broken.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert "not loaded" in reference.load_file(broken)
    assert not IndicatorSystem.objects.filter(code="broken").exists()
