from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import User


@admin.register(User)
class PortalUserAdmin(UserAdmin):
    list_display = ("username", "full_name", "role", "township", "is_active", "last_login")
    list_filter = ("role", "township", "is_active")
    search_fields = ("username", "full_name")
    fieldsets = UserAdmin.fieldsets + (
        ("Portal", {"fields": ("full_name", "role", "township", "phone", "must_change_password")}),
    )

    # Accounts are deactivated, never deleted: the audit log keeps naming who did what, and on
    # PostgreSQL its append-only trigger refuses the UPDATE a deletion would make (auditlog sets
    # the actor of the user's entries to NULL). The users page's "active" box does it.
    def has_delete_permission(self, request, obj=None):
        return False
