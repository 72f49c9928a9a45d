from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from . import budgets
from .models import (
    Board,
    Budget,
    Comment,
    GeneratedImage,
    Generation,
    Invitation,
    Lease,
    Membership,
    ReviewMark,
    Team,
    UsageEntry,
)


class GeneratedImageInline(admin.TabularInline):
    model = GeneratedImage
    extra = 0
    can_delete = False
    readonly_fields = [
        "index",
        "original",
        "thumbnail",
        "width",
        "height",
        "bytes",
        "seed",
        "error_code",
        "error_message",
    ]


@admin.register(Generation)
class GenerationAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "owner",
        "model",
        "status",
        "short_prompt",
        "n",
        "image_count",
        "created_at",
    ]
    list_filter = ["status", "model", "team", "created_at", "prompt_extend", "watermark"]
    search_fields = ["prompt", "negative_prompt", "actual_prompt", "task_id", "owner__username"]
    date_hierarchy = "created_at"
    list_select_related = ["owner", "team"]
    raw_id_fields = ["owner", "parent"]
    readonly_fields = [
        "task_id",
        "request_id",
        "submitted_at",
        "started_at",
        "finished_at",
        "completed_at",
        "task_seconds",
        "checks",
        "submit_attempts",
        "image_count",
        "results",
    ]
    inlines = [GeneratedImageInline]

    @admin.display(description=_("prompt"))
    def short_prompt(self, obj: Generation) -> str:
        return obj.prompt[:60]


@admin.register(GeneratedImage)
class GeneratedImageAdmin(admin.ModelAdmin):
    list_display = ["generation", "index", "width", "height", "bytes", "error_code"]
    list_filter = ["error_code"]
    search_fields = ["generation__prompt"]
    raw_id_fields = ["generation"]


@admin.register(Lease)
class LeaseAdmin(admin.ModelAdmin):
    list_display = ["name", "holder", "expires_at"]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["user"]


class InvitationInline(admin.TabularInline):
    model = Invitation
    extra = 0
    fields = ["role", "created_by", "created_at", "expires_at", "accepted_by", "revoked_at"]
    readonly_fields = ["created_at", "accepted_by"]
    raw_id_fields = ["created_by"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name", "memberships__user__username"]
    inlines = [MembershipInline, InvitationInline]


@admin.register(Board)
class BoardAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "team", "created_at"]
    list_filter = ["team"]
    search_fields = ["name"]
    raw_id_fields = ["owner"]


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["generation", "author", "created_at"]
    search_fields = ["body", "author__username"]
    raw_id_fields = ["generation", "author"]


@admin.register(ReviewMark)
class ReviewMarkAdmin(admin.ModelAdmin):
    list_display = ["generation", "user", "mark", "updated_at"]
    list_filter = ["mark"]
    raw_id_fields = ["generation", "user"]


@admin.register(UsageEntry)
class UsageEntryAdmin(admin.ModelAdmin):
    """The ledger as it was written: read here, never changed (a correction is a new entry)."""

    list_display = ["billed_at", "user", "team", "model", "region", "images", "unit_price", "cost"]
    list_filter = ["model", "region", "team", "billed_at"]
    search_fields = ["user__username", "model"]
    date_hierarchy = "billed_at"
    list_select_related = ["user", "team"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Budget)
class BudgetAdmin(admin.ModelAdmin):
    """Monthly limits: a person's (their own work and their teams') or a team's."""

    list_display = ["__str__", "user", "team", "unit", "limit", "used_this_month"]
    list_filter = ["unit"]
    search_fields = ["user__username", "team__name"]
    list_select_related = ["user", "team"]
    raw_id_fields = ["user", "team"]
    readonly_fields = ["warned_percent", "warned_for"]

    @admin.display(description=_("used this month"))
    def used_this_month(self, budget: Budget) -> str:
        return budgets.standing_of(budget.team or budget.user).figures["used"]
