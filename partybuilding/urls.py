from django.urls import path

from . import views

app_name = "partybuilding"

urlpatterns = [
    path("coverage/", views.coverage, name="coverage"),
    path("organisations/", views.party_organisation_list, name="party_organisation_list"),
    path("organisations/new/", views.party_organisation_create, name="party_organisation_create"),
    path(
        "organisations/<int:pk>/edit/",
        views.party_organisation_edit,
        name="party_organisation_edit",
    ),
    path("instructors/", views.instructor_list, name="instructor_list"),
    path(
        "instructors/assign/<int:organisation_pk>/",
        views.instructor_assign,
        name="instructor_assign",
    ),
    path("instructors/<int:pk>/end/", views.instructor_end, name="instructor_end"),
    path("sites/", views.site_list, name="site_list"),
    path("sites/new/", views.site_create, name="site_create"),
    path("sites/<int:pk>/edit/", views.site_edit, name="site_edit"),
    path("sites/<int:pk>/delete/", views.site_delete, name="site_delete"),
    path("centres/", views.centre_list, name="centre_list"),
    path("centres/new/", views.centre_create, name="centre_create"),
    path("centres/<int:pk>/edit/", views.centre_edit, name="centre_edit"),
    path("trainings/", views.training_list, name="training_list"),
    path("trainings/new/", views.training_create, name="training_create"),
    path("trainings/<int:pk>/", views.training_detail, name="training_detail"),
    path("trainings/<int:pk>/edit/", views.training_edit, name="training_edit"),
    path("trainings/<int:pk>/delete/", views.training_delete, name="training_delete"),
    path("trainings/<int:pk>/enrolments/", views.enrolment_add, name="enrolment_add"),
    path(
        "trainings/<int:pk>/enrolments/<int:enrolment_pk>/remove/",
        views.enrolment_remove,
        name="enrolment_remove",
    ),
]
