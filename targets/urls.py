from django.urls import path

from . import views

app_name = "targets"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("targets/<int:pk>/", views.target_detail, name="target_detail"),
    path(
        "targets/<int:pk>/townships/<int:township_pk>/",
        views.target_detail,
        name="target_township",
    ),
    path("milestones/<int:pk>/", views.milestone_edit, name="milestone_edit"),
    path("reports/", views.report_board, name="report_board"),
    path("reports/new/<int:year>/<int:quarter>/", views.report_start, name="report_start"),
    path("reports/<int:pk>/", views.report_detail, name="report_detail"),
    path("reports/<int:pk>/edit/", views.report_edit, name="report_edit"),
    path("reports/<int:pk>/<str:action>/", views.report_review, name="report_review"),
]
