from django.urls import path

from . import views

app_name = "procurement"

urlpatterns = [
    path("projects/", views.project_list, name="project_list"),
    path("projects/new/", views.project_create, name="project_create"),
    path("projects/<int:pk>/", views.project_detail, name="project_detail"),
    path("projects/<int:pk>/edit/", views.project_edit, name="project_edit"),
    path("projects/<int:pk>/evaluation/", views.evaluation_edit, name="evaluation_edit"),
    path("projects/<int:pk>/evaluation/report/", views.evaluation_report, name="evaluation_report"),
    path("projects/<int:pk>/<str:action>/", views.project_action, name="project_action"),
    path("totals/", views.totals, name="totals"),
    path("catalogues/", views.catalogue, name="catalogue"),
    # RecordPages.urls: <prefix>new/, <prefix><pk>/edit/, <prefix><pk>/delete/ (<name>_create…)
    *views.catalogue_items.urls("catalogues/items/"),
    *views.recommended_entries.urls("catalogues/recommended/"),
    path("awards/", views.award_list, name="award_list"),
    *views.awards.urls("awards/"),
    path("brands/", views.brand_list, name="brand_list"),
    *views.brands.urls("brands/"),
]
