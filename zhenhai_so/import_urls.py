from django.urls import path

from . import import_views as views

app_name = "imports"
urlpatterns = [
    path("", views.index, name="index"),
    path("<slug:kind>/", views.start, name="start"),
    path("<slug:kind>/export/", views.export, name="export"),
    path("<slug:kind>/<int:pk>/", views.job, name="job"),
    path("<slug:kind>/<int:pk>/apply/", views.apply, name="apply"),
    path("<slug:kind>/<int:pk>/errors/", views.errors, name="errors"),
]
