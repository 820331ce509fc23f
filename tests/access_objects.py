"""The objects the access walk opens: all of them belong to the ``township`` fixture's township,
so a user of ``other_township`` must get 404 for each. ``OBJECTS`` maps a URL name to the
keyword arguments it needs, read from the ``access_objects`` namespace."""

from types import SimpleNamespace

import pytest

OBJECTS = {
    "users:edit": lambda o: {"pk": o.user.pk},
    "users:reset_password": lambda o: {"pk": o.user.pk},
    "registry:township_detail": lambda o: {"pk": o.township.pk},
}


@pytest.fixture
def access_objects(township, township_user):
    return SimpleNamespace(township=township, user=township_user)
