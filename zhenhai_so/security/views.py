"""Two-factor pages (enrol, verify, recovery codes) and the administrator's unlock actions."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.dateparse import parse_date
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from zhenhai_so.models import User

from . import otp, services
from .forms import TokenForm
from .models import EventKind, SecurityEvent

_NEW_CODES_KEY = "two_factor_new_codes"


def _next_url(request) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return settings.LOGIN_REDIRECT_URL


# Any signed-in user may enrol (LoginRequiredMiddleware); the roles in OTP_REQUIRED_ROLES must.
@require_http_methods(["GET", "POST"])
def two_factor_setup(request):
    if otp.has_confirmed_device(request.user) and not request.user.is_verified():
        return redirect("two_factor_verify")
    device = otp.pending_totp_device(request.user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = otp.two_factor_enrol(
            request=request, device=device, token=form.cleaned_data["token"]
        )
        if codes is not None:
            request.session[_NEW_CODES_KEY] = codes
            messages.success(request, _("Two-factor sign-in is set up."))
            return redirect("two_factor_recovery_codes")
        form.add_error("token", _("The code is not right; check the time on your phone."))
    return render(
        request,
        "registration/two_factor_setup.html",
        {
            "form": form,
            "qr": otp.qr_data_uri(device),
            "secret": otp.manual_key(device),
            "next": _next_url(request),
        },
    )


@require_http_methods(["GET", "POST"])
def two_factor_verify(request):
    if not otp.has_confirmed_device(request.user):
        return redirect("two_factor_setup")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if otp.two_factor_verify(request=request, token=form.cleaned_data["token"]):
            return redirect(_next_url(request))
        form.add_error("token", _("The code is not right, or it was used already."))
    return render(
        request, "registration/two_factor_verify.html", {"form": form, "next": _next_url(request)}
    )


@require_http_methods(["GET"])
def two_factor_recovery_codes(request):
    """Shows the recovery codes once, right after enrolment; afterwards they are gone."""
    codes = request.session.pop(_NEW_CODES_KEY, None)
    return render(request, "registration/two_factor_recovery_codes.html", {"codes": codes})


@permission_required("zhenhai_so.manage_users", raise_exception=True)
@require_POST
def user_unlock(request, pk):
    """Lift a lock-out of the account's user name (SECURITY.md item 4)."""
    account = get_object_or_404(User, pk=pk)
    removed = services.account_unlock(request=request, user=account)
    if removed:
        messages.success(request, _("The lock-out of %(name)s is lifted.") % {"name": account})
    else:
        messages.info(request, _("%(name)s was not locked out.") % {"name": account})
    return redirect("users:edit", pk=account.pk)


@permission_required("zhenhai_so.manage_users", raise_exception=True)
@require_POST
def user_two_factor_reset(request, pk):
    account = get_object_or_404(User, pk=pk)
    otp.two_factor_reset(request=request, user=account)
    messages.success(
        request, _("%(name)s must set up two-factor sign-in again.") % {"name": account}
    )
    return redirect("users:edit", pk=account.pk)


EVENT_EXPORT_HEADERS = ["时间", "用户", "类型", "结果", "对象类型", "对象", "来源地址", "说明"]


def _security_events(request):
    events = SecurityEvent.objects.all()
    if q := request.GET.get("q", "").strip():
        events = events.search(q)
    if (kind := request.GET.get("kind")) in EventKind.values:
        events = events.filter(kind=kind)
    if (outcome := request.GET.get("success")) in ("1", "0"):
        events = events.filter(success=outcome == "1")
    if since := safe_date(request.GET.get("since")):
        events = events.filter(created_at__date__gte=since)
    if until := safe_date(request.GET.get("until")):
        events = events.filter(created_at__date__lte=until)
    return events


def safe_date(value):
    """A date from a query string, or None: ``parse_date`` raises for "2020-13-45"."""
    try:
        return parse_date(value or "")
    except ValueError:
        return None


def audit_events(request):
    """The security event log on the audit page (``/audit/?log=events``): logins, failures,
    lock-outs, password / two-factor / role changes, imports, exports, downloads, approvals
    (SECURITY.md item 11), searchable and exportable like the change log. ``audit_list`` checks
    the permission before it hands over."""
    from zhenhai_so.excel import export_response
    from zhenhai_so.pagination import paginate, querystring_without_page

    events = _security_events(request)
    if request.GET.get("export") == "xlsx":
        if not request.user.has_perm("zhenhai_so.export_auditlog"):
            return render(request, "403.html", status=403)
        rows = (
            (
                e.created_at,
                e.username,
                e.get_kind_display(),
                _("succeeded") if e.success else _("failed"),
                e.object_type,
                e.object_repr,
                e.address or "",
                e.detail,
            )
            for e in events.iterator(chunk_size=2000)
        )
        return export_response("security-events", _("Security events"), EVENT_EXPORT_HEADERS, rows)
    return render(
        request,
        "zhenhai_so/audit_events.html",
        {
            "page": paginate(request, events, per_page=50),
            "querystring": querystring_without_page(request),
            "kinds": EventKind.choices,
        },
    )
