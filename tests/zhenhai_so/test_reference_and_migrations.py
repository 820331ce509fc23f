import pytest
from django.core.management import call_command

from registry.models import Community, Township


@pytest.mark.django_db
def test_load_reference_is_idempotent_and_complete(capsys):
    call_command("load_reference")
    before = (Township.objects.count(), Community.objects.count())
    call_command("load_reference")
    assert "(0 created or updated)" in capsys.readouterr().out
    assert (Township.objects.count(), Community.objects.count()) == before
    assert before[0] == 7
    codes = set(Township.objects.values_list("code", flat=True))
    assert codes == {
        "330211001000",
        "330211002000",
        "330211003000",
        "330211004000",
        "330211005000",
        "330211100000",
        "330211101000",
    }
    for community in Community.objects.select_related("township"):
        assert community.code[:9] == community.township.code[:9]


@pytest.mark.django_db
def test_no_pending_migrations():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


@pytest.mark.django_db
def test_township_user_sees_only_their_township_in_the_list(
    client_for, township_user, other_township
):
    from django.urls import reverse

    response = client_for(township_user).get(reverse("registry:township_list"))
    assert list(response.context["townships"]) == [township_user.township]
    assert other_township.name not in response.content.decode()
