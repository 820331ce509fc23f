from django.urls import path

from . import views

app_name = "partybuilding"

urlpatterns = [
    path("coverage/", views.coverage, name="coverage"),
    path("organisations/", views.party_organisation_list, name="party_organisation_list"),
    # RecordPages.urls: <prefix>new/, <prefix><pk>/edit/, <prefix><pk>/delete/ (<name>_create…)
    *views.party_organisations.urls("organisations/"),
    path("instructors/", views.instructor_list, name="instructor_list"),
    path(
        "instructors/assign/<int:organisation_pk>/",
        views.instructor_assign,
        name="instructor_assign",
    ),
    path("instructors/<int:pk>/end/", views.instructor_end, name="instructor_end"),
    path("sites/", views.site_list, name="site_list"),
    *views.demonstration_sites.urls("sites/"),
    path("centres/", views.centre_list, name="centre_list"),
    *views.service_centres.urls("centres/"),
    path("trainings/", views.training_list, name="training_list"),
    *views.trainings.urls("trainings/"),
    path("trainings/<int:pk>/", views.training_detail, name="training_detail"),
    path("trainings/<int:pk>/enrolments/", views.enrolment_add, name="enrolment_add"),
    path(
        "trainings/<int:pk>/enrolments/<int:enrolment_pk>/remove/",
        views.enrolment_remove,
        name="enrolment_remove",
    ),
]
