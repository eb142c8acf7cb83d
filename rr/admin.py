"""The Django admin. Every write goes through the domain's rules.

Deletes of users and links go through the user-row lock order (rr/common/locks.py,
rr/network/links.py) because the models' delete() and their querysets' delete() do;
scores are never typed in, they are recomputed from the regrets after every edit (checklists_score_refresh).
"""

from typing import Any, ClassVar, cast

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from rr.accounts.models import User
from rr.checklists import services as checklist_services
from rr.checklists.models import Checklist, Regret
from rr.network.models import Block, FollowRequest, Network
from rr.notifications.models import Nudge


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "is_active", "allow_networking", "followers_count", "following_count", "date_joined"]
    list_filter = ["is_active", "is_staff", "allow_networking"]
    search_fields = ["username"]
    ordering = ["username"]
    # The user's own network settings (docs/NETWORK.md) change only through the API (switching
    # follow_approval off must accept what is pending).
    readonly_fields = [
        "followers_count",
        "following_count",
        "follow_approval",
        "daily_goal",
        "date_joined",
        "last_login",
    ]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        (
            "Networking",
            {"fields": ["allow_networking", "follow_approval", "daily_goal", "followers_count", "following_count"]},
        ),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["username", "password1", "password2"]})]


class RegretInline(admin.TabularInline):
    model = Regret
    extra = 0


@admin.register(Checklist)
class ChecklistAdmin(admin.ModelAdmin):
    """Score and completion are read-only: the score follows the regrets, edited inline."""

    list_display = ["id", "user", "created_at", "score", "completed"]
    list_filter = ["completed", "created_at"]
    search_fields = ["user__username"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
    readonly_fields = ["score", "completed"]
    inlines = [RegretInline]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        checklist_services.checklists_score_refresh(checklist_ids=[form.instance.pk])


@admin.register(Regret)
class RegretAdmin(admin.ModelAdmin):
    """Every save or delete recomputes the scores of the checklists it touched (before and after)."""

    list_display = ["id", "description", "success", "checklist", "created_at"]
    list_filter = ["success"]
    search_fields = ["description", "checklist__user__username"]
    raw_id_fields = ["checklist"]

    def save_model(self, request: HttpRequest, obj: Regret, form: Any, change: bool) -> None:
        before = Regret.objects.filter(pk=obj.pk).values_list("checklist_id", flat=True).first() if change else None
        super().save_model(request, obj, form, change)
        checklist_services.checklists_score_refresh(checklist_ids=cast(set[int], {before, obj.checklist_id} - {None}))

    def delete_model(self, request: HttpRequest, obj: Regret) -> None:
        checklist_id = obj.checklist_id
        super().delete_model(request, obj)
        checklist_services.checklists_score_refresh(checklist_ids=[checklist_id])

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Regret]) -> None:
        checklist_ids = set(queryset.values_list("checklist_id", flat=True))
        super().delete_queryset(request, queryset)
        checklist_services.checklists_score_refresh(checklist_ids=checklist_ids)


@admin.register(Network)
class NetworkAdmin(admin.ModelAdmin):
    """Links are made by following (the API); here they are browsed and deleted.

    Deletes move the counts (trigger) in the graph's lock order (Network.delete(), its
    queryset's). Adding or editing a link here would skip the follow's refusal ladder.
    """

    list_display = ["id", "follower", "following", "created_at"]
    search_fields = ["follower__username", "following__username"]
    list_select_related = ["follower", "following"]
    raw_id_fields = ["follower", "following"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Network | None = None) -> bool:
        return False


class BrowseAndDeleteAdmin(admin.ModelAdmin):
    """Made through the API only (its refusals and lock order); here browsed and deleted.

    Deleting a request rejects it, deleting a block unblocks (ended links stay ended);
    neither is a link, so no count moves.
    """

    list_select_related: ClassVar[bool | list[str] | tuple[str, ...]] = True

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(FollowRequest)
class FollowRequestAdmin(BrowseAndDeleteAdmin):
    list_display = ["id", "requester", "target", "created_at"]
    search_fields = ["requester__username", "target__username"]
    list_select_related = ["requester", "target"]


@admin.register(Block)
class BlockAdmin(BrowseAndDeleteAdmin):
    list_display = ["id", "blocker", "blocked", "created_at"]
    search_fields = ["blocker__username", "blocked__username"]
    list_select_related = ["blocker", "blocked"]


@admin.register(Nudge)
class NudgeAdmin(BrowseAndDeleteAdmin):
    list_display = ["id", "sender", "recipient", "local_date", "created_at", "read_at"]
    search_fields = ["sender__username", "recipient__username"]
    list_select_related = ["sender", "recipient"]
    list_filter = ["local_date"]
