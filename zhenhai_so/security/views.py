"""Two-factor pages (enrol, verify, recovery codes), the administrator's unlock actions and the
account requests a security administrator decides (``accounts``)."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.dateparse import parse_date
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhenhai_so.forms import PortalForm
from zhenhai_so.models import User

from . import accounts, otp, services
from .forms import TokenForm
from .models import AccountRequest, EventKind, SecurityEvent

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
    """Asks for the account's second factor to be removed; done when approved."""
    account = get_object_or_404(User, pk=pk)
    account_request = accounts.account_request_create(
        request=request,
        requested_by=request.user,
        action=AccountRequest.Action.RESET_TWO_FACTOR,
        role=account.role,
        account=account,
    )
    messages.info(
        request,
        _("Requested: %(request)s. A security administrator must approve it.")
        % {"request": account_request},
    )
    return redirect("users:requests")


class RejectForm(PortalForm):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=500, required=False)


@permission_required("zhenhai_so.manage_users", raise_exception=True)
@require_GET
def account_request_list(request):
    """Pending and decided account requests; a security administrator decides the pending ones
    he may (not his own, not about himself)."""
    from zhenhai_so.pagination import paginate

    pending = list(
        AccountRequest.objects.filter(state=AccountRequest.State.PENDING).select_related(
            "requested_by", "account"
        )
    )
    for item in pending:
        item.decidable = accounts.may_decide(user=request.user, account_request=item)
    decided = AccountRequest.objects.exclude(state=AccountRequest.State.PENDING).select_related(
        "requested_by", "decided_by"
    )
    return render(
        request,
        "zhenhai_so/security/account_requests.html",
        {"pending": pending, "page": paginate(request, decided), "form": RejectForm()},
    )


def _get_request_to_decide(request, pk) -> AccountRequest:
    account_request = get_object_or_404(
        AccountRequest.objects.select_related("requested_by"), pk=pk
    )
    if not accounts.may_decide(user=request.user, account_request=account_request):
        raise PermissionDenied
    return account_request


@permission_required("zhenhai_so.manage_security", raise_exception=True)
@require_POST
def account_request_approve(request, pk):
    account_request = _get_request_to_decide(request, pk)
    try:
        account_request, password = accounts.account_request_approve(
            request=request, account_request=account_request, approver=request.user
        )
    except accounts.RequestAlreadyDecided:
        messages.error(request, _("This request has already been decided."))
        return redirect("users:requests")
    return render(
        request,
        "zhenhai_so/security/account_request_done.html",
        {"item": account_request, "password": password},
    )


@permission_required("zhenhai_so.manage_security", raise_exception=True)
@require_POST
def account_request_reject(request, pk):
    account_request = _get_request_to_decide(request, pk)
    form = RejectForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        accounts.account_request_reject(
            request=request, account_request=account_request, approver=request.user, reason=reason
        )
    except accounts.RequestAlreadyDecided:
        messages.error(request, _("This request has already been decided."))
    else:
        messages.success(request, _("Rejected: %(request)s.") % {"request": account_request})
    return redirect("users:requests")


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
