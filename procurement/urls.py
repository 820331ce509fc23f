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
    path("catalogues/items/new/", views.catalogue_item_create, name="catalogue_item_create"),
    path("catalogues/items/<int:pk>/edit/", views.catalogue_item_edit, name="catalogue_item_edit"),
    path(
        "catalogues/items/<int:pk>/delete/",
        views.catalogue_item_delete,
        name="catalogue_item_delete",
    ),
    path("catalogues/recommended/new/", views.recommended_create, name="recommended_create"),
    path("catalogues/recommended/<int:pk>/edit/", views.recommended_edit, name="recommended_edit"),
    path(
        "catalogues/recommended/<int:pk>/delete/",
        views.recommended_delete,
        name="recommended_delete",
    ),
    path("awards/", views.award_list, name="award_list"),
    path("awards/new/", views.award_create, name="award_create"),
    path("awards/<int:pk>/edit/", views.award_edit, name="award_edit"),
    path("awards/<int:pk>/delete/", views.award_delete, name="award_delete"),
    path("brands/", views.brand_list, name="brand_list"),
    path("brands/new/", views.brand_create, name="brand_create"),
    path("brands/<int:pk>/edit/", views.brand_edit, name="brand_edit"),
    path("brands/<int:pk>/delete/", views.brand_delete, name="brand_delete"),
]
