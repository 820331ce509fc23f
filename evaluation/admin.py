"""Read-mostly admin: indicator systems are reference data loaded from fixtures, evaluations
move only through ``services`` (so the admin shows them without letting it change them)."""

from django.contrib import admin

from .models import Category, Evaluation, IndicatorSystem, Item, Review, Score, Threshold


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ThresholdInline(admin.TabularInline):
    model = Threshold
    extra = 0


class CategoryInline(admin.TabularInline):
    model = Category
    extra = 0
    fields = ["code", "name", "first_level", "order"]


@admin.register(IndicatorSystem)
class IndicatorSystemAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "applies_from", "total_points", "validity_years"]
    inlines = [ThresholdInline, CategoryInline]


@admin.register(Item)
class ItemAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "max_points", "category", "system"]
    list_filter = ["system"]


class ScoreInline(admin.TabularInline):
    model = Score
    extra = 0
    raw_id_fields = ["item"]


@admin.register(Evaluation)
class EvaluationAdmin(ReadOnlyAdmin):
    list_display = ["organisation", "year", "agency", "evaluated_on", "state", "total", "grade"]
    list_filter = ["state", "grade", "year", "system"]
    search_fields = ["organisation__name", "organisation__credit_code", "agency"]
    raw_id_fields = ["organisation"]
    inlines = [ScoreInline]


@admin.register(Review)
class ReviewAdmin(ReadOnlyAdmin):
    list_display = ["evaluation", "requested_on", "decided_on", "decision"]
