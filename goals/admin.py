from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import CheckIn, Goal, GoalPolicy, Kpi, Measurement, MeasurementImport


@admin.register(Kpi)
class KpiAdmin(SimpleHistoryAdmin):
    list_display = ["name", "org", "key", "unit", "aggregation", "direction", "archived_at"]
    list_filter = ["org", "unit", "aggregation"]
    search_fields = ["name", "key"]


@admin.register(Goal)
class GoalAdmin(SimpleHistoryAdmin):
    list_display = ["title", "org", "level", "status", "kpi", "team", "owner", "due_date"]
    list_filter = ["org", "status", "level"]
    search_fields = ["title"]
    raw_id_fields = ["parent", "owner", "created_by"]


@admin.register(Measurement)
class MeasurementAdmin(admin.ModelAdmin):
    list_display = ["kpi", "org", "team", "owner", "period_kind", "period_start", "value", "source"]
    list_filter = ["org", "source", "period_kind"]


@admin.register(CheckIn)
class CheckInAdmin(admin.ModelAdmin):
    list_display = ["goal", "week_start", "confidence", "author"]


@admin.register(MeasurementImport)
class MeasurementImportAdmin(admin.ModelAdmin):
    list_display = ["filename", "org", "status", "total_rows", "processed_rows", "created_at"]
    exclude = ["content"]


@admin.register(GoalPolicy)
class GoalPolicyAdmin(SimpleHistoryAdmin):
    list_display = ["org", "at_risk_gap", "off_track_gap", "planning_horizon_months"]
