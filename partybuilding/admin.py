from django.contrib import admin

from .models import (
    DemonstrationSite,
    InstructorAssignment,
    PartyOrganisation,
    PartyServiceCentre,
    Training,
    TrainingEnrolment,
)


@admin.register(PartyOrganisation)
class PartyOrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "township", "established_on", "dissolved_on", "secretary")
    list_filter = ("kind", "township")
    raw_id_fields = ("organisations",)


@admin.register(InstructorAssignment)
class InstructorAssignmentAdmin(admin.ModelAdmin):
    list_display = ("instructor", "organisation", "starts_on", "ends_on")
    raw_id_fields = ("organisation",)


@admin.register(DemonstrationSite)
class DemonstrationSiteAdmin(admin.ModelAdmin):
    list_display = ("year", "name", "organisation", "named_on")
    list_filter = ("year",)
    raw_id_fields = ("organisation",)


@admin.register(PartyServiceCentre)
class PartyServiceCentreAdmin(admin.ModelAdmin):
    list_display = ("name", "level", "township", "state", "opened_on")


class EnrolmentInline(admin.TabularInline):
    model = TrainingEnrolment
    raw_id_fields = ("organisation",)
    extra = 0


@admin.register(Training)
class TrainingAdmin(admin.ModelAdmin):
    list_display = ("held_on", "title", "kind", "level", "township", "attendees")
    list_filter = ("kind", "level")
    inlines = [EnrolmentInline]
