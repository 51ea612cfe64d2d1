from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import ActionPlan, Blocker, Milestone, Resource, Risk, StandupSettings


class MilestoneInline(admin.TabularInline):
    model = Milestone
    extra = 0
    fields = ["title", "owner", "start_week", "due_week", "status", "progress", "is_dormant"]
    raw_id_fields = ["owner"]


class ResourceInline(admin.TabularInline):
    model = Resource
    extra = 0


@admin.register(ActionPlan)
class ActionPlanAdmin(SimpleHistoryAdmin):
    list_display = ["title", "org", "owner", "status", "start_date", "end_date"]
    list_filter = ["org", "status"]
    search_fields = ["title"]
    raw_id_fields = ["owner", "created_by"]
    inlines = [MilestoneInline, ResourceInline]


@admin.register(Risk)
class RiskAdmin(SimpleHistoryAdmin):
    list_display = ["description", "plan", "likelihood", "impact", "status", "trigger_kind"]
    list_filter = ["status", "trigger_kind"]
    raw_id_fields = ["owner", "plan"]


@admin.register(Blocker)
class BlockerAdmin(SimpleHistoryAdmin):
    list_display = ["description", "org", "routed_to", "status", "created_at"]
    list_filter = ["org", "status"]
    raw_id_fields = ["raised_by", "routed_to", "resolved_by", "milestone"]


@admin.register(StandupSettings)
class StandupSettingsAdmin(SimpleHistoryAdmin):
    list_display = ["team", "cadence", "digest_time", "digest_enabled"]
