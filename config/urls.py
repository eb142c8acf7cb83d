from django.contrib import admin
from django.urls import include, path, re_path, register_converter

from rr.accounts import api as accounts_api
from rr.checklists import api as checklists_api
from rr.common.converters import IdConverter
from rr.common.openapi import DocsView, SchemaView
from rr.common.routing import NOT_FOUND_NAME, json_not_found
from rr.export import api as export_api
from rr.network import api as network_api
from rr.notifications import api as notifications_api

register_converter(IdConverter, "id")

auth_urls = [
    path("user/", accounts_api.AccountView.as_view(), name="account"),
    path("user/export/", export_api.AccountExportView.as_view(), name="account-export"),
    path("password/", accounts_api.PasswordView.as_view(), name="password"),
    path("recover/", accounts_api.RecoverView.as_view(), name="recover"),
    path("sessions/", accounts_api.SessionsView.as_view(), name="sessions"),
    path("sessions/<id:session_id>/", accounts_api.SessionView.as_view(), name="session"),
    path("logout-all/", accounts_api.LogoutAllView.as_view(), name="logout-all"),
    path("jwt/refresh/", accounts_api.RefreshView.as_view(), name="token-refresh"),
    path("logout/", accounts_api.LogoutView.as_view(), name="logout"),
]

api_urls = [
    path("checklists/", checklists_api.ChecklistsView.as_view(), name="checklists"),
    path("checklists/history/", checklists_api.ChecklistHistoryView.as_view(), name="checklist-history"),
    path("checklists/<id:checklist_id>/", checklists_api.ChecklistView.as_view(), name="checklist"),
    path("checklists/<id:checklist_id>/regrets/", checklists_api.RegretsView.as_view(), name="regrets"),
    path(
        "checklists/<id:checklist_id>/regrets/<id:regret_id>/",
        checklists_api.RegretView.as_view(),
        name="regret",
    ),
    path("routine/", checklists_api.RoutineView.as_view(), name="routine"),
    path("routine/<id:item_id>/", checklists_api.RoutineItemView.as_view(), name="routine-item"),
    path("inbox/", notifications_api.InboxView.as_view(), name="inbox"),
    path("network/validate/<str:username>/", network_api.NetworkValidateView.as_view(), name="network-validate"),
    path("network/follow/<str:username>/", network_api.NetworkFollowView.as_view(), name="network-follow"),
    path("network/unfollow/<str:username>/", network_api.NetworkUnfollowView.as_view(), name="network-unfollow"),
    path(
        "network/followers/<str:username>/",
        network_api.NetworkFollowerRemoveView.as_view(),
        name="network-follower-remove",
    ),
    path("network/list/<str:list_type>/", network_api.NetworkListView.as_view(), name="network-list"),
    path("network/settings/", network_api.NetworkSettingsView.as_view(), name="network-settings"),
    path("network/nudges/<str:username>/", notifications_api.NudgeView.as_view(), name="nudge-send"),
    path("network/requests/<id:request_id>/", network_api.FollowRequestView.as_view(), name="follow-request"),
    path(
        "network/requests/<id:request_id>/accept/",
        network_api.FollowRequestAcceptView.as_view(),
        name="follow-request-accept",
    ),
    # Two fixed paths, not <str:direction>: /requests/<id>/ must not be mistaken for a list.
    path(
        "network/requests/incoming/",
        network_api.FollowRequestListView.as_view(direction="incoming"),
        name="follow-requests-incoming",
    ),
    path(
        "network/requests/outgoing/",
        network_api.FollowRequestListView.as_view(direction="outgoing"),
        name="follow-requests-outgoing",
    ),
    path("network/blocks/", network_api.BlockListView.as_view(), name="blocks"),
    path("network/blocks/<str:username>/", network_api.BlockView.as_view(), name="block"),
    path("nudges/", notifications_api.NudgeInboxView.as_view(), name="nudge-inbox"),
    path("nudges/read/", notifications_api.NudgeReadView.as_view(), name="nudge-read"),
    path("reminders/", notifications_api.ReminderView.as_view(), name="reminders"),
    path("push/key/", notifications_api.PushKeyView.as_view(), name="push-key"),
    path("push/subscriptions/", notifications_api.PushSubscriptionsView.as_view(), name="push-subscriptions"),
]

urlpatterns = [
    path("auth/", include(auth_urls)),
    path("api/", include(api_urls)),
    path("schema/", SchemaView.as_view(), name="schema"),
    path("docs/", DocsView.as_view(url_name="schema"), name="docs"),
    path("admin/", admin.site.urls),
    # After every API route: anything else under the API prefixes is a JSON 404, with DEBUG on too.
    re_path(r"^(?:api|auth)(?:/|$)", json_not_found, name=NOT_FOUND_NAME),
    path("", include("rr.web.urls")),
]

# Browsers and htmx outside /api/ and /auth/ get pages in words; everything else JSON (rr.web.errors).
handler400 = "rr.web.errors.handler400"
handler403 = "rr.web.errors.handler403"
handler404 = "rr.web.errors.handler404"
handler500 = "rr.web.errors.handler500"
