from django.urls import path

from . import job_views as views

app_name = "jobs"
urlpatterns = [
    path("downloads/", views.download_list, name="download_list"),
    path("downloads/<int:pk>/", views.download_detail, name="download_detail"),
    path("downloads/<int:pk>/progress/", views.download_progress, name="download_progress"),
    path("downloads/<int:pk>/file/", views.download_file, name="download_file"),
    path("imports/<int:pk>/progress/", views.import_progress, name="import_progress"),
    path("schedule/", views.schedule, name="schedule"),
]
