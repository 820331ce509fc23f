from django.urls import path

from . import views

app_name = "disclosure"

urlpatterns = [
    path("", views.search, name="search"),
    path("organisations/<int:pk>/", views.organisation, name="organisation"),
    path("lists/<slug:kind>/", views.list_entries, name="list_entries"),
    path("spot-checks/", views.inspections, name="inspections"),
    path("spot-check-draws/", views.spot_check_draws, name="spot_check_draws"),
    path("spot-check-draws/<int:pk>/", views.spot_check_draw, name="spot_check_draw"),
    path("projects/", views.projects, name="projects"),
    path("excellent-teams/", views.awards, name="awards"),
    path("brands/", views.brands, name="brands"),
]
