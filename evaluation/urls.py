from django.urls import path

from . import views

app_name = "evaluation"

urlpatterns = [
    path("", views.evaluation_list, name="evaluation_list"),
    path("new/", views.evaluation_create, name="evaluation_create"),
    path("<int:pk>/", views.evaluation_detail, name="evaluation_detail"),
    path("<int:pk>/scores/", views.evaluation_scores, name="evaluation_scores"),
    path("<int:pk>/certificate/", views.certificate, name="certificate"),
    path("<int:pk>/review/", views.review_request, name="review_request"),
    path("<int:pk>/<str:action>/", views.evaluation_action, name="evaluation_action"),
    path("reviews/<int:pk>/decide/", views.review_decide, name="review_decide"),
    path("distribution/", views.distribution, name="distribution"),
    path("expiring/", views.expiring, name="expiring"),
    path("never-evaluated/", views.never_evaluated, name="never_evaluated"),
    path("systems/", views.system_list, name="system_list"),
]
