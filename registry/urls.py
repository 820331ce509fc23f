from django.urls import path

from . import views

app_name = "registry"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("townships/", views.township_list, name="township_list"),
    path("townships/<int:pk>/", views.township_detail, name="township_detail"),
    path("organisations/", views.organisation_list, name="organisation_list"),
    path("organisations/new/", views.organisation_create, name="organisation_create"),
    path("organisations/<int:pk>/", views.organisation_detail, name="organisation_detail"),
    path("organisations/<int:pk>/edit/", views.organisation_edit, name="organisation_edit"),
    path(
        "organisations/<int:pk>/reports/<int:year>/",
        views.annual_report_edit,
        name="annual_report_edit",
    ),
    path(
        "organisations/<int:pk>/inspections/new/",
        views.inspection_create,
        name="inspection_create",
    ),
    path("organisations/<int:pk>/lists/new/", views.list_entry_create, name="list_entry_create"),
    path(
        "organisations/<int:org_pk>/applications/<str:kind>/",
        views.application_create,
        name="application_create_for",
    ),
    path("applications/", views.application_list, name="application_list"),
    path("applications/new/<str:kind>/", views.application_create, name="application_create"),
    path("applications/<int:pk>/", views.application_detail, name="application_detail"),
    path("applications/<int:pk>/edit/", views.application_edit, name="application_edit"),
    path(
        "applications/<int:pk>/<str:action>/",
        views.application_action,
        name="application_action",
    ),
    path("annual-reports/", views.annual_report_board, name="annual_report_board"),
    path(
        "annual-reports/list-overdue/",
        views.annual_report_list_overdue,
        name="annual_report_list_overdue",
    ),
    path("inspections/", views.inspection_list, name="inspection_list"),
    path("spot-checks/", views.spot_check_list, name="spot_check_list"),
    path("spot-checks/new/", views.spot_check_create, name="spot_check_create"),
    path("spot-checks/<int:pk>/", views.spot_check_detail, name="spot_check_detail"),
    path("spot-checks/<int:pk>/draw/", views.spot_check_draw, name="spot_check_draw"),
    path("spot-checks/drawn/<int:pk>/result/", views.spot_check_result, name="spot_check_result"),
    path("inspectors/", views.inspector_list, name="inspector_list"),
    path("inspectors/<int:pk>/edit/", views.inspector_edit, name="inspector_edit"),
    path("lists/", views.list_entry_list, name="list_entry_list"),
    path("lists/<int:pk>/remove/", views.list_entry_remove, name="list_entry_remove"),
]
