from django.urls import path

from . import views

app_name = "partybuilding"

urlpatterns = [
    path("coverage/", views.coverage, name="coverage"),
    path("organisations/", views.party_organisation_list, name="party_organisation_list"),
    path("instructors/", views.instructor_list, name="instructor_list"),
    path("sites/", views.site_list, name="site_list"),
    path("centres/", views.centre_list, name="centre_list"),
    path("trainings/", views.training_list, name="training_list"),
    path("trainings/<int:pk>/", views.training_detail, name="training_detail"),
]
