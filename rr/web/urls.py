"""The web app's pages, outside the API's /api/ and /auth/ prefixes."""

from django.urls import path

from rr.web import app_shell, auth, pages

app_name = "web"

urlpatterns = [
    path("", auth.welcome, name="welcome"),
    path("login/", auth.login, name="login"),
    path("manifest.webmanifest", app_shell.manifest, name="manifest"),
    path("sw.js", app_shell.service_worker, name="service-worker"),
    path("logout/", auth.logout, name="logout"),
    path("recover/", auth.recover, name="recover"),
    path("today/", pages.today, name="today"),
    path("today/regrets/", pages.regret_add, name="regret-add"),
    path("today/tick/", pages.regrets_tick, name="regrets-tick"),
    path("today/undo/", pages.regret_undo, name="regret-undo"),
    path("today/edit/", pages.regret_edit, name="regret-edit"),
    path("today/delete/", pages.regret_delete, name="regret-delete"),
    path("today/to-routine/", pages.regret_to_routine, name="regret-to-routine"),
    path("today/routine/add/", pages.routine_add, name="routine-add"),
    path("today/routine/rename/", pages.routine_rename, name="routine-rename"),
    path("today/routine/move/", pages.routine_move, name="routine-move"),
    path("today/routine/remove/", pages.routine_remove, name="routine-remove"),
    path("today/routine/from-yesterday/", pages.routine_from_yesterday, name="routine-from-yesterday"),
    path("today/routine/from-today/", pages.routine_from_today, name="routine-from-today"),
    path("inbox/", pages.inbox, name="inbox"),
    path("history/", pages.history, name="history"),
    path("friends/", pages.friends, name="friends"),
    path("friends/follow/", pages.follow, name="follow"),
    path("friends/unfollow/", pages.unfollow, name="unfollow"),
    path("friends/remove/", pages.follower_remove, name="follower-remove"),
    path("friends/block/", pages.block, name="block"),
    path("friends/unblock/", pages.unblock, name="unblock"),
    path("friends/nudge/", pages.nudge, name="nudge"),
    path("friends/request/", pages.follow_request, name="follow-request"),
    path("settings/", pages.settings_page, name="settings"),
    path("settings/networking/", pages.networking, name="networking"),
    path("settings/reminders/", pages.reminders, name="reminders"),
    path("settings/push/", pages.push_subscription, name="push-subscription"),
    path("settings/password/", pages.password, name="password"),
    path("settings/sessions/end-others/", pages.sessions_end_others, name="sessions-end-others"),
    path("settings/export/", pages.export, name="export"),
    path("settings/delete/", pages.delete_account, name="delete"),
]
