from auditlog.models import LogEntry
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_not_required, permission_required
from django.contrib.auth.views import PasswordChangeView
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from . import services
from .display import action_text, change_rows
from .excel import export_response
from .filters import UserFilter
from .forms import PortalPasswordChangeForm, UserCreateForm, UserUpdateForm
from .models import User
from .pagination import paginate, querystring_without_page
from .roles import Role
from .security import accounts
from .security.models import AccountRequest

# Where each role lands after login, first URL that exists wins (apps add theirs as they land).
ROLE_HOME = {
    Role.BUREAU_STAFF: ["registry:overview"],
    Role.TOWNSHIP_OFFICE: ["registry:overview"],
    Role.LEADER: ["targets:dashboard", "registry:overview"],
    Role.SYSTEM_ADMIN: ["users:list"],
    Role.SECURITY_ADMIN: ["users:list"],
    Role.AUDIT_ADMIN: ["audit:list"],
}


@require_GET
def home(request):
    """Send each role to its own start page."""
    for name in ROLE_HOME.get(request.user.role, []):
        try:
            return redirect(reverse(name))
        except NoReverseMatch:
            continue
    return render(request, "zhenhai_so/no_role.html", status=403)


@login_not_required
@require_GET
def healthz(request):
    from django.db import connection
    from django.http import JsonResponse

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


class PortalPasswordChangeView(PasswordChangeView):
    form_class = PortalPasswordChangeForm
    template_name = "registration/password_change.html"
    success_url = reverse_lazy("home")

    def form_valid(self, form):
        response = super().form_valid(form)
        services.user_password_changed(user=self.request.user)
        update_session_auth_hash(self.request, self.request.user)
        messages.success(self.request, _("Your password has been changed."))
        return response


USER_EXPORT_HEADERS = ["登录名", "姓名", "角色", "所属镇街", "电子邮箱", "电话", "启用", "最近登录"]


@permission_required("zhenhai_so.manage_users", raise_exception=True)
@require_GET
def user_list(request):
    users = User.objects.select_related("township").order_by("username")
    user_filter = UserFilter(request.GET, queryset=users)
    if request.GET.get("export") == "xlsx":
        rows = (
            (
                u.username,
                u.full_name,
                u.get_role_display(),
                u.township.name if u.township else "",
                u.email,
                u.phone,
                u.is_active,
                u.last_login,
            )
            for u in user_filter.qs.iterator(chunk_size=2000)
        )
        return export_response("users", _("Users"), USER_EXPORT_HEADERS, rows)
    page = paginate(request, user_filter.qs)
    return render(
        request,
        "zhenhai_so/user_list.html",
        {"filter": user_filter, "page": page, "querystring": querystring_without_page(request)},
    )


def _requested(request, account_request) -> HttpResponse:
    messages.info(
        request,
        _("Requested: %(request)s. A security administrator must approve it.")
        % {"request": account_request},
    )
    return redirect("users:requests")


@permission_required("zhenhai_so.manage_users", raise_exception=True)
def user_create(request):
    """Asks for a new account (docs/security.md, finding P3): created when approved."""
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        account_request = accounts.account_request_create(
            request=request,
            requested_by=request.user,
            action=AccountRequest.Action.CREATE,
            role=data["role"],
            username=data["username"],
            payload={
                "full_name": data["full_name"],
                "email": data["email"],
                "phone": data["phone"],
                "township_id": data["township"].pk if data["township"] else None,
            },
        )
        return _requested(request, account_request)
    return render(request, "zhenhai_so/user_form.html", {"form": form, "creating": True})


@permission_required("zhenhai_so.manage_users", raise_exception=True)
def user_edit(request, pk):
    user = get_object_or_404(User, pk=pk)
    form = UserUpdateForm(request.POST or None, instance=user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if user == request.user and data["role"] != user.role:
            form.add_error("role", _("You cannot change your own role."))
        elif accounts.change_needs_approval(
            account=User.objects.get(pk=user.pk), role=data["role"], is_active=data["is_active"]
        ):
            account_request = accounts.account_request_create(
                request=request,
                requested_by=request.user,
                action=AccountRequest.Action.CHANGE,
                role=data["role"],
                account=user,
                payload={
                    "full_name": data["full_name"],
                    "email": data["email"],
                    "phone": data["phone"],
                    "township_id": data["township"].pk if data["township"] else None,
                    "is_active": data["is_active"],
                },
            )
            return _requested(request, account_request)
        else:
            services.user_update(user=user, **data)
            messages.success(request, _("User %(name)s saved.") % {"name": user.username})
            return redirect("users:list")
    return render(request, "zhenhai_so/user_form.html", {"form": form, "account": user})


@permission_required("zhenhai_so.manage_users", raise_exception=True)
@require_POST
def user_reset_password(request, pk):
    """Asks for a one-time password for the account; the approver receives it."""
    user = get_object_or_404(User, pk=pk)
    account_request = accounts.account_request_create(
        request=request,
        requested_by=request.user,
        action=AccountRequest.Action.RESET_PASSWORD,
        role=user.role,
        account=user,
    )
    return _requested(request, account_request)


AUDIT_EXPORT_HEADERS = ["时间", "用户", "操作", "对象类型", "对象", "来源地址", "变更内容"]


def _audit_entries(request):
    from .security.views import safe_date

    entries = LogEntry.objects.select_related("actor", "content_type").order_by("-timestamp")
    q = request.GET.get("q", "").strip()
    if q:
        entries = entries.filter(
            Q(object_repr__icontains=q)
            | Q(actor__username__icontains=q)
            | Q(remote_addr__icontains=q)
        )
    if (action := request.GET.get("action", "")).isascii() and action.isdigit():
        entries = entries.filter(action=int(action))
    if since := safe_date(request.GET.get("since")):
        entries = entries.filter(timestamp__date__gte=since)
    if until := safe_date(request.GET.get("until")):
        entries = entries.filter(timestamp__date__lte=until)
    return entries


@permission_required("zhenhai_so.view_auditlog", raise_exception=True)
@require_GET
def audit_list(request):
    if request.GET.get("log") == "events":  # the security event log, the page's second tab
        from .security.views import audit_events

        return audit_events(request)
    entries = _audit_entries(request)
    if request.GET.get("export") == "xlsx":
        if not request.user.has_perm("zhenhai_so.export_auditlog"):
            return render(request, "403.html", status=403)
        rows = (
            (
                e.timestamp,
                e.actor.username if e.actor else "",
                e.get_action_display(),
                e.content_type.name if e.content_type else "",
                e.object_repr,
                e.remote_addr or "",
                e.changes_str,
            )
            for e in entries.iterator(chunk_size=2000)
        )
        return export_response("audit-log", _("Audit log"), AUDIT_EXPORT_HEADERS, rows)
    page = paginate(request, entries, per_page=50)
    return render(
        request,
        "zhenhai_so/audit_list.html",
        {
            "page": page,
            # Fields by their names, values in words (the export keeps auditlog's raw text).
            "rows": change_rows(page.object_list),
            "querystring": querystring_without_page(request),
            "actions": [(value, action_text(value)) for value, _label in LogEntry.Action.choices],
        },
    )


@require_GET
def notification_list(request):
    """Every signed-in user's own notifications, newest first."""
    from .models import Notification

    notifications = Notification.objects.for_user(request.user)
    if request.GET.get("unread"):
        notifications = notifications.unread()
    page = paginate(request, notifications)
    return render(
        request,
        "zhenhai_so/notification_list.html",
        {"page": page, "querystring": querystring_without_page(request)},
    )


@require_POST
def notification_read(request):
    """Mark one notification (``id``) or all of the user's notifications read; follow the link of
    a single one when asked to open it."""
    from .models import Notification
    from .notifications import mark_read

    raw = request.POST.get("id", "")
    if raw.isascii() and raw.isdigit():  # "²".isdigit() is True, int("²") fails
        notification = get_object_or_404(Notification.objects.for_user(request.user), pk=int(raw))
        mark_read(user=request.user, ids=[notification.pk])
        if request.POST.get("open") and notification.link.startswith("/"):
            return redirect(notification.link)
    else:
        mark_read(user=request.user)
    return redirect("notifications:list")
