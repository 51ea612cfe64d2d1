from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import RaciActivity, RaciMatrix, RaciPolicy


class ActivityInline(admin.TabularInline):
    model = RaciActivity
    extra = 0


@admin.register(RaciMatrix)
class RaciMatrixAdmin(SimpleHistoryAdmin):
    list_display = ["title", "org", "status", "published_at"]
    list_filter = ["org", "status"]
    inlines = [ActivityInline]


@admin.register(RaciPolicy)
class RaciPolicyAdmin(SimpleHistoryAdmin):
    list_display = ["org", "accountable_limit", "consulted_limit"]
