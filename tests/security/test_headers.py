"""Security headers on every page and a clean ``check --deploy`` (SECURITY.md item 19)."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from tests.test_access import ACCESS, ALL_ROLES, ANON, _url

BASE_DIR = Path(__file__).resolve().parents[2]

REQUIRED_DIRECTIVES = {
    "default-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}


def parse_csp(header: str) -> dict[str, str]:
    directives = {}
    for part in header.split(";"):
        name, _, value = part.strip().partition(" ")
        directives[name] = value.strip()
    return directives


def assert_secure_headers(response, where):
    csp = response.get("Content-Security-Policy")
    assert csp, f"{where}: no Content-Security-Policy"
    directives = parse_csp(csp)
    for name, value in REQUIRED_DIRECTIVES.items():
        assert directives.get(name) == value, f"{where}: {name} is {directives.get(name)!r}"
    script_src = directives["script-src"].split()
    assert script_src[0] == "'self'", where
    assert all(s == "'self'" or s.startswith("'nonce-") for s in script_src), where
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, where
    assert response["X-Content-Type-Options"] == "nosniff", where
    assert response["Referrer-Policy"] == "same-origin", where
    assert response["X-Frame-Options"] == "DENY", where
    assert response["Strict-Transport-Security"].startswith("max-age="), where


def _viewer(name):
    """The first role (or anonymous) that the access table lets open the page."""
    for role in (*ALL_ROLES, ANON):
        if ACCESS[name][role] == 200:
            return role
    return ANON  # a page nobody opens with GET still answers (405, 302) with headers


@pytest.mark.parametrize("name", sorted(ACCESS))
def test_every_get_route_sends_the_security_headers(name, client, role_users, access_objects):
    role = _viewer(name)
    if role != ANON:
        client.force_login(role_users[role])
    response = client.get(_url(name, access_objects), secure=True)
    assert_secure_headers(response, f"{name} as {role} ({response.status_code})")


def test_error_pages_send_the_headers_too(client, staff):
    client.force_login(staff)
    assert_secure_headers(client.get("/no-such-page/", secure=True), "404")
    client.logout()
    assert_secure_headers(client.get("/users/", secure=True), "anonymous redirect")


def test_an_inline_script_may_run_only_with_the_responses_nonce():
    from csp.middleware import CSPMiddleware

    def view(request):
        return HttpResponse(f'<script nonce="{request.csp_nonce}">1</script>')

    request = RequestFactory().get("/")
    middleware = CSPMiddleware(view)
    middleware.process_request(request)
    response = middleware.process_response(request, view(request))
    nonce = str(request.csp_nonce)
    assert len(nonce) >= 16
    assert f"'nonce-{nonce}'" in parse_csp(response["Content-Security-Policy"])["script-src"]


def test_no_template_has_an_inline_script_or_style():
    offenders = []
    for path in BASE_DIR.glob("**/templates/**/*.html"):
        if ".venv" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        for number, line in enumerate(text.splitlines(), 1):
            stripped = line.replace(" ", "")
            if "<script" in line and "src=" not in line and "json_script" not in line:
                offenders.append(f"{path}:{number} inline script")
            if 'style="' in stripped or "<style" in line.replace("{#", "").split("#}")[-1]:
                offenders.append(f"{path}:{number} inline style")
            if "onclick=" in stripped or "onchange=" in stripped or "onsubmit=" in stripped:
                offenders.append(f"{path}:{number} inline handler")
    assert offenders == []


@pytest.mark.slow
def test_check_deploy_is_clean_with_production_settings(tmp_path):
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "SECURE_SSL_REDIRECT": "1",
        "SECURE_COOKIES": "1",
        "ALLOWED_HOSTS": "shzz.zh.gov.cn",
        "STATIC_ROOT": str(tmp_path / "static"),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
