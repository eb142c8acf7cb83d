from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from rr.accounts.models import User
from rr.checklists.models import Checklist, Regret
from rr.network import services as network_services
from rr.network.models import Network


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "is_active", "allow_networking", "followers_count", "following_count", "date_joined"]
    list_filter = ["is_active", "is_staff", "allow_networking"]
    search_fields = ["username"]
    ordering = ["username"]
    readonly_fields = ["followers_count", "following_count", "date_joined", "last_login"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        ("Networking", {"fields": ["allow_networking", "followers_count", "following_count"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["username", "password1", "password2"]})]

    def delete_model(self, request, obj):
        network_services.user_delete(user=obj)

    def delete_queryset(self, request, queryset):
        network_services.users_delete(user_ids=list(queryset.values_list("pk", flat=True)))


class RegretInline(admin.TabularInline):
    model = Regret
    extra = 0


@admin.register(Checklist)
class ChecklistAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "created_at", "score", "completed"]
    list_filter = ["completed", "created_at"]
    search_fields = ["user__username"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
    inlines = [RegretInline]


@admin.register(Regret)
class RegretAdmin(admin.ModelAdmin):
    list_display = ["id", "description", "success", "checklist", "created_at"]
    list_filter = ["success"]
    search_fields = ["description", "checklist__user__username"]
    raw_id_fields = ["checklist"]


@admin.register(Network)
class NetworkAdmin(admin.ModelAdmin):
    """Deletes here move the counts too (trigger) and take the services' lock order."""

    list_display = ["id", "follower", "following", "created_at"]
    search_fields = ["follower__username", "following__username"]
    list_select_related = ["follower", "following"]
    raw_id_fields = ["follower", "following"]

    def delete_model(self, request, obj):
        network_services.network_links_delete(links=Network.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        network_services.network_links_delete(links=queryset)
