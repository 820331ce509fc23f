from django.urls import path

from . import views

app_name = "registry"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("townships/", views.township_list, name="township_list"),
    path("townships/<int:pk>/", views.township_detail, name="township_detail"),
]
