from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from . import views
from .security import views as security_views

user_patterns = (
    [
        path("", views.user_list, name="list"),
        path("new/", views.user_create, name="create"),
        path("<int:pk>/", views.user_edit, name="edit"),
        path("<int:pk>/reset-password/", views.user_reset_password, name="reset_password"),
        path("<int:pk>/unlock/", security_views.user_unlock, name="unlock"),
        path("<int:pk>/reset-two-factor/", security_views.user_two_factor_reset, name="reset_2fa"),
        path("requests/", security_views.account_request_list, name="requests"),
        path(
            "requests/<int:pk>/approve/",
            security_views.account_request_approve,
            name="request_approve",
        ),
        path(
            "requests/<int:pk>/reject/",
            security_views.account_request_reject,
            name="request_reject",
        ),
    ],
    "users",
)
audit_patterns = ([path("", views.audit_list, name="list")], "audit")
notification_patterns = (
    [
        path("", views.notification_list, name="list"),
        path("read/", views.notification_read, name="read"),
    ],
    "notifications",
)

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            # Django's LoginView names the site after the request's host; ours has a name.
            redirect_authenticated_user=True,
            extra_context={"site_name": settings.SITE_NAME},
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", views.PortalPasswordChangeView.as_view(), name="password_change"),
    path("accounts/two-factor/", include("zhenhai_so.security.urls")),
    # Anyone, signed in or not, may switch the language (the login page offers it).
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("users/", include(user_patterns)),
    path("audit/", include(audit_patterns)),
    path("notifications/", include(notification_patterns)),
    path("registry/", include("registry.urls")),
    path("procurement/", include("procurement.urls")),
    path("party/", include("partybuilding.urls")),
    path("evaluation/", include("evaluation.urls")),
    path("imports/", include("zhenhai_so.import_urls")),
    path("jobs/", include("zhenhai_so.job_urls")),
    path("public/", include("disclosure.urls")),
    path("plan/", include("targets.urls")),
    path("admin/", admin.site.urls),
]
