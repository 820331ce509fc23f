from django.urls import path

from . import views

# Included at accounts/two-factor/ without a namespace: the middlewares allow these by name.
urlpatterns = [
    path("", views.two_factor_setup, name="two_factor_setup"),
    path("verify/", views.two_factor_verify, name="two_factor_verify"),
    path("recovery-codes/", views.two_factor_recovery_codes, name="two_factor_recovery_codes"),
]
