from django.contrib import admin

from .models import (
    Award,
    Brand,
    CatalogueItem,
    PerformanceEvaluation,
    PersonnelCostCap,
    Project,
    RecommendedEntry,
)


@admin.register(CatalogueItem)
class CatalogueItemAdmin(admin.ModelAdmin):
    list_display = ("year", "code", "name", "category", "department")
    list_filter = ("year",)


@admin.register(RecommendedEntry)
class RecommendedEntryAdmin(admin.ModelAdmin):
    list_display = ("year", "organisation", "services")
    list_filter = ("year",)
    raw_id_fields = ("organisation",)


@admin.register(PersonnelCostCap)
class PersonnelCostCapAdmin(admin.ModelAdmin):
    list_display = ("effective_from", "cap_percent", "source")


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    """Read-mostly: states move through the portal's services, which record who and why."""

    list_display = ("name", "channel", "year", "organisation", "state", "contract_amount")
    list_filter = ("channel", "state", "year")
    raw_id_fields = ("organisation", "catalogue_item")
    readonly_fields = ("state", "finished_on")


@admin.register(PerformanceEvaluation)
class PerformanceEvaluationAdmin(admin.ModelAdmin):
    list_display = ("project", "agency", "score", "evaluated_on")
    raw_id_fields = ("project",)


@admin.register(Award)
class AwardAdmin(admin.ModelAdmin):
    list_display = ("year", "kind", "name", "organisation", "named_on")
    list_filter = ("year", "kind")
    raw_id_fields = ("organisation",)


@admin.register(Brand)
class BrandAdmin(admin.ModelAdmin):
    list_display = ("name", "level", "township", "organisation", "year")
    list_filter = ("level", "year")
    raw_id_fields = ("organisation", "project")
