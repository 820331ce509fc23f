"""Session lifetime and the two-factor requirement (SECURITY.md items 5 and 6)."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone

from .models import EventKind
from .receivers import SESSION_RENEWED_KEY, SESSION_STARTED_KEY
from .services import record_event

# What a signed-in user who still owes the second factor may open.
TWO_FACTOR_ALLOWED = frozenset(
    {
        "two_factor_setup",
        "two_factor_verify",
        "two_factor_recovery_codes",
        "logout",
        "set_language",
        "javascript-catalog",
    }
)
_EXEMPT_PREFIXES = ("/static/", "/media/")


def _resolve(path: str):
    try:
        return resolve(path)
    except Resolver404:
        return None


def is_public(match) -> bool:
    """True for a view marked ``@login_not_required`` (the public disclosure pages, the health
    check, the login page): what anyone may open without signing in, a signed-in user who still
    owes a password change or the second factor may open too."""
    return match is not None and getattr(match.func, "login_required", True) is False


class SessionRenewalMiddleware:
    """Keep an active session alive: the idle limit (``SESSION_COOKIE_AGE``, 30 minutes) counts
    from the last save, and a signed-in user's session is saved again once its last save is
    ``SESSION_RENEW_SECONDS`` (a minute) old.

    Django's ``SESSION_SAVE_EVERY_REQUEST`` would do the same with a database write on every page
    view; renewing at most once a minute keeps the idle limit to within that minute and spares
    the write (and its commit) on nearly every request. Needs the session middleware before it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is not None and not session.is_empty() and session.session_key:
            now = timezone.now().timestamp()
            renewed = session.get(SESSION_RENEWED_KEY)
            if renewed is None or now - renewed >= settings.SESSION_RENEW_SECONDS:
                session[SESSION_RENEWED_KEY] = now  # marks the session modified: saved below
        return response


class AbsoluteSessionLifetimeMiddleware:
    """End a session ``SESSION_ABSOLUTE_SECONDS`` (8 h) after login, however active it was.

    The 30-minute idle limit is Django's own (``SESSION_COOKIE_AGE`` renewed by
    ``SessionRenewalMiddleware``); ASVS 5.0 V7.3 asks for both an idle and an absolute limit.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = timezone.now().timestamp()
            started = request.session.get(SESSION_STARTED_KEY)
            if started is None:
                request.session[SESSION_STARTED_KEY] = now
            elif now - started > settings.SESSION_ABSOLUTE_SECONDS:
                record_event(request, EventKind.SESSION_EXPIRED)
                logout(request)
                login_url = reverse(settings.LOGIN_URL)
                return redirect(f"{login_url}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)


class TwoFactorRequiredMiddleware:
    """A user whose role is in ``OTP_REQUIRED_ROLES`` and who has not passed the second factor in
    this session reaches only enrolment, verification and logout (SECURITY.md item 6).

    Needs ``django_otp.middleware.OTPMiddleware`` before it (it provides ``user.is_verified``).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and user.role in settings.OTP_REQUIRED_ROLES
            and not user.is_verified()
            and not request.path_info.startswith(_EXEMPT_PREFIXES)
            and not self._allowed(_resolve(request.path_info))
        ):
            from .otp import has_confirmed_device

            target = "two_factor_verify" if has_confirmed_device(user) else "two_factor_setup"
            return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)

    @staticmethod
    def _allowed(match) -> bool:
        return is_public(match) or (match is not None and match.url_name in TWO_FACTOR_ALLOWED)


# A spreadsheet a page answers is a list drawn from the register (an export); the file of a
# finished background export was recorded as an export when it was asked for.
_SPREADSHEET_TYPES = ("application/vnd.openxmlformats-officedocument.spreadsheetml", "text/csv")
_DOWNLOAD_VIEWS = frozenset({"jobs:download_file"})


class SecurityEventMiddleware:
    """Record every file a signed-in user takes away (SECURITY.md item 11): a spreadsheet a page
    answers is an export, any other file (a stored report, a finished background export) a
    download. Keyed on the response, not on each view, so a page added later is covered too.
    Needs the authentication middleware before it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        disposition = response.get("Content-Disposition", "")
        if (
            disposition
            and response.status_code == 200
            and getattr(request, "user", None) is not None
            and request.user.is_authenticated
        ):
            match = request.resolver_match
            view = match.view_name if match is not None else request.path_info
            spreadsheet = response.get("Content-Type", "").startswith(_SPREADSHEET_TYPES)
            kind = (
                EventKind.EXPORT
                if spreadsheet and view not in _DOWNLOAD_VIEWS
                else EventKind.DOWNLOAD
            )
            record_event(request, kind, detail=f"{view}: {_filename(disposition)}"[:500])
        return response


def _filename(disposition: str) -> str:
    """The file name of a Content-Disposition header (``filename*`` preferred), for the log."""
    from urllib.parse import unquote

    for part in disposition.split(";"):
        key, _sep, value = part.strip().partition("=")
        if key.lower() == "filename*" and "''" in value:
            return unquote(value.split("''", 1)[1])
    for part in disposition.split(";"):
        key, _sep, value = part.strip().partition("=")
        if key.lower() == "filename":
            return value.strip('"')
    return ""


class NoStoreMiddleware:
    """``Cache-Control: no-store`` (with Django's other never-cache headers) on every response
    to a signed-in user and on every file handed out, signed in or not, so neither a browser
    nor a proxy keeps a copy of a page or an export (docs/security.md, finding P7). Needs the
    authentication middleware before it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        if signed_in or response.has_header("Content-Disposition"):
            from django.utils.cache import add_never_cache_headers

            add_never_cache_headers(response)
        return response


class LoginRateLimitMiddleware:
    """Limit sign-in attempts per client address (``TokenBucket.authorize_login``:
    ``LOGIN_RATE_LIMIT`` POSTs to the login page, 20 by default, per ``LOGIN_RATE_WINDOW``
    seconds, 60); more get 429 with a page in Chinese and ``Retry-After``. With the cache away
    each process keeps limiting on its own. The first refusal is logged as a failed login."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method == "POST" and request.path_info == reverse("login"):
            from django.shortcuts import render

            from zhenhai_so.ratelimit import TokenBucket

            decision = TokenBucket.authorize_login(request)
            if not decision.allowed:
                if decision.first_refusal:
                    limit, window = settings.LOGIN_RATE_LIMIT, settings.LOGIN_RATE_WINDOW
                    record_event(
                        request,
                        EventKind.LOGIN_FAILED,
                        success=False,
                        username=str(request.POST.get("username", ""))[:150],
                        detail=f"rate limit: more than {limit} sign-in attempts in {window} s",
                    )
                response = render(
                    request,
                    "registration/login_rate_limited.html",
                    {"retry_after": decision.retry_after},
                    status=429,
                )
                response["Retry-After"] = str(decision.retry_after)
                return response
        return self.get_response(request)
