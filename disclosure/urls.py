from django.urls import path

from . import views

app_name = "disclosure"

urlpatterns = [
    path("", views.search, name="search"),
    path("organisations/<int:pk>/", views.organisation, name="organisation"),
    path("lists/<slug:kind>/", views.list_entries, name="list_entries"),
    path("spot-checks/", views.inspections, name="inspections"),
    path("projects/", views.projects, name="projects"),
    path("excellent-teams/", views.awards, name="awards"),
    path("brands/", views.brands, name="brands"),
]
