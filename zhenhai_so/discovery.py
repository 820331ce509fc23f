"""Per-app hooks found by module name, so that commands in ``zhenhai_so`` never import the apps
that depend on it: each app may have ``reference.py`` (``load()``), ``demo.py`` (``load(ctx)``)
and ``resources.py`` (registers import/export kinds)."""

from importlib import import_module
from importlib.util import find_spec

from django.apps import apps


def app_modules(name: str):
    """Yield each installed app's ``<app>.<name>`` module, in INSTALLED_APPS order."""
    for config in apps.get_app_configs():
        dotted = f"{config.name}.{name}"
        if find_spec(config.name) and _has_submodule(config.name, name):
            yield import_module(dotted)


def _has_submodule(package: str, name: str) -> bool:
    try:
        return find_spec(f"{package}.{name}") is not None
    except ModuleNotFoundError:
        return False
