"""The signed-in pages: Today, Friends and Settings.

Each action calls the service the API calls and shows its refusal in words. Forms
post and redirect (they work without JavaScript); with htmx the Today page swaps
only its checklist, and every other page is swapped in place (hx-boost).
"""

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.forms import Form
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from rr.accounts import services as account_services
from rr.accounts.models import User
from rr.checklists import days as checklist_days
from rr.checklists import selectors as checklist_selectors
from rr.checklists import services as checklist_services
from rr.checklists.models import Checklist
from rr.common.errors import ServiceError
from rr.common.throttling import FollowThrottle, NetworkListThrottle
from rr.export import selectors as export_selectors
from rr.network import selectors as network_selectors
from rr.network import services as network_services
from rr.network.models import FollowRequest
from rr.network.selectors import LIST_KINDS
from rr.notifications import push
from rr.notifications import selectors as notification_selectors
from rr.notifications import services as notification_services
from rr.web import chart, forms, glance
from rr.web import sessions as web_sessions
from rr.web.common import Refused, SignedInRequest, guess, local_now, rate_limit, report, signed_in

FRIENDS_PAGE_SIZE = 50


# Today -------------------------------------------------------------------------------


def _streak(user: User) -> dict[str, Any]:
    """The streak at a glance (web/_glance.html): rr.checklists.days.user_stats, as the API's day answers it."""
    stats = checklist_days.user_stats(user)
    return {"current_streak": stats.current_streak, "kept_today": stats.kept_today}


def _day(
    request: SignedInRequest,
    checklist: Checklist,
    *,
    error: str | None = None,
    notice: str | None = None,
    editing: int | None = None,
    confirming: int | None = None,
) -> dict[str, Any]:
    """The day's list and its index at a glance (rr.web.glance), for today.html and _day.html.

    `editing`: the regret whose inline edit form shows; `confirming`: the one whose removal
    asks for confirmation (both ids, from the page's query string).
    """
    regrets = list(checklist_selectors.regret_list(checklist=checklist))
    user = request.user
    first_day = not checklist_selectors.regrets_before(user=user, checklist=checklist)
    listed = {regret.description for regret in regrets}
    return {
        "checklist": checklist,
        "regrets": regrets,
        "glance": glance.day_glance(
            regrets=regrets, score=checklist.score, goal=user.daily_goal, closed=checklist.completed
        ),
        "streak": _streak(user),
        "examples": [text for text in glance.EXAMPLE_REGRETS if text not in listed] if first_day else [],
        "first_day": first_day,
        "error": error,
        "notice": notice,
        "editing": editing,
        "confirming": confirming,
    }


def _routine(user: User, day: date) -> dict[str, Any]:
    """The routine editor's context: the routine, and yesterday's list when it has regrets."""
    yesterday = checklist_selectors.checklist_of_day(user=user, local_date=day - timedelta(days=1))
    if yesterday is not None and not checklist_selectors.regret_list(checklist=yesterday).exists():
        yesterday = None
    return {"routine": list(checklist_selectors.routine_list(user=user)), "yesterday": yesterday}


def _shown_id(request: HttpRequest, name: str) -> int | None:
    raw = request.GET.get(name, "")
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < len(raw) <= 18 else None


@signed_in
def today(request: SignedInRequest) -> HttpResponse:
    """Today's checklist for the browser's local date (found or created, like the app's POST).

    `?edit=<regret id>` shows that regret's inline edit form, `?delete=<regret id>` the
    confirmation of its removal (plain links and forms: no JavaScript needed). An htmx
    request aimed at the list (#day) gets the list alone.
    """
    now = local_now(request)
    try:
        checklist, _ = checklist_services.checklist_for_day(user=request.user, local_datetime=now)
    except ServiceError:
        # An offset the checklist rules refuse (a tampered cookie, or a day already closed at
        # the user's last offset): the day at that last offset (UTC when none), always open.
        now = now.astimezone(checklist_selectors.last_known_offset(user=request.user))
        checklist, _ = checklist_services.checklist_for_day(user=request.user, local_datetime=now)
    # The header says the day of the list below it, whatever the clock of this request.
    day = checklist_selectors.checklist_local_date(checklist)
    context = _day(request, checklist, editing=_shown_id(request, "edit"), confirming=_shown_id(request, "delete"))
    if request.htmx and request.htmx.target == "day":
        return render(request, "web/_day.html", context)
    return render(request, "web/today.html", {**context, **_routine(request.user, day), "day": day})


def _day_answer(
    request: SignedInRequest, checklist_id: int, error: str | None = None, status: int = 200, notice: str | None = None
) -> HttpResponse:
    """After an action on the day: the checklist part for htmx, else (a plain or boosted form) back to the page."""
    if not request.htmx or request.htmx.boosted:
        if error:
            messages.error(request, error)
        elif notice:
            messages.success(request, notice)
        return redirect("web:today")
    try:
        checklist = checklist_selectors.checklist_get(user=request.user, checklist_id=checklist_id)
    except ServiceError as exc:
        return render(request, "web/_error.html", {"error": exc.message}, status=exc.status_code)
    return render(request, "web/_day.html", _day(request, checklist, error=error, notice=notice), status=status)


@signed_in
@require_POST
def regret_add(request: SignedInRequest) -> HttpResponse:
    form = forms.RegretForm(request.POST)
    if not form.is_valid():
        error = "Write the regret (at most 255 characters)."
        return _day_answer(request, _posted_checklist(form), error, status=400)
    checklist_id = form.cleaned_data["checklist"]
    try:
        checklist_services.regret_add(
            user=request.user,
            checklist_id=checklist_id,
            description=form.cleaned_data["description"],
            client_id=form.cleaned_data["client_id"],
        )
    except ServiceError as exc:
        return _day_answer(request, checklist_id, exc.message, status=exc.status_code)
    return _day_answer(request, checklist_id)


@signed_in
@require_POST
def regrets_tick(request: SignedInRequest) -> HttpResponse:
    """Resolve the regrets ticked on the form (false -> true only: resolved ones are not sent)."""
    form = forms.TickForm(request.POST)
    if not form.is_valid():
        return _day_answer(request, _posted_checklist(form), "Unknown regret.", status=400)
    checklist_id = form.cleaned_data["checklist"]
    try:
        for regret_id in form.cleaned_data["regret_ids"]:
            checklist_services.regret_resolve(
                user=request.user, checklist_id=checklist_id, regret_id=regret_id, success=True
            )
    except ServiceError as exc:
        return _day_answer(request, checklist_id, exc.message, status=exc.status_code)
    return _day_answer(request, checklist_id)


def _regret_action(
    form_class: type[Form],
    run: Callable[[SignedInRequest, dict[str, Any]], object],
    done: Callable[[dict[str, Any]], str] | None = None,
) -> Callable[..., HttpResponse]:
    """A button on one regret of the day (hidden `checklist` and `regret`): `run(request, data)` calls
    the checklist service the API calls; `done(data)` is what to say after (None: nothing)."""

    @signed_in
    @require_POST
    def view(request: SignedInRequest) -> HttpResponse:
        form = form_class(request.POST)
        if not form.is_valid():
            error = next(iter(form.errors.values()))[0]
            return _day_answer(request, _posted_checklist(form), error, status=400)  # type: ignore[arg-type]  # a message
        data = form.cleaned_data
        try:
            run(request, data)
        except ServiceError as exc:
            return _day_answer(request, data["checklist"], exc.message, status=exc.status_code)
        return _day_answer(request, data["checklist"], notice=done(data) if done else None)

    return view


regret_undo = _regret_action(
    forms.RegretActionForm,
    lambda request, data: checklist_services.regret_update(
        user=request.user, checklist_id=data["checklist"], regret_id=data["regret"], success=False
    ),
)
regret_edit = _regret_action(
    forms.RegretEditForm,
    lambda request, data: checklist_services.regret_update(
        user=request.user, checklist_id=data["checklist"], regret_id=data["regret"], description=data["description"]
    ),
)
regret_delete = _regret_action(
    forms.RegretActionForm,
    lambda request, data: checklist_services.regret_delete(
        user=request.user, checklist_id=data["checklist"], regret_id=data["regret"]
    ),
    lambda data: "Regret deleted.",
)
regret_to_routine = _regret_action(
    forms.RegretActionForm,
    lambda request, data: checklist_services.routine_add(user=request.user, from_regret=data["regret"]),
    lambda data: "Added to your routine: it starts every new day.",
)


def _posted_checklist(form: Form) -> int:
    try:
        return int(form.data.get("checklist", ""))
    except ValueError:
        return 0


# The routine (on Today) ----------------------------------------------------------------


def _routine_action(
    form_class: type[Form], run: Callable[[User, dict[str, Any]], object], done: str
) -> Callable[..., HttpResponse]:
    """A routine editor's form: `run(user, data)` calls the routine service the API calls; back to Today."""

    @signed_in
    @require_POST
    def view(request: SignedInRequest) -> HttpResponse:
        form = form_class(request.POST)

        def act() -> str:
            if not form.is_valid():
                raise Refused(next(iter(form.errors.values()))[0])  # type: ignore[arg-type]  # a message
            run(request.user, form.cleaned_data)
            return done

        report(request, act)
        return redirect(reverse("web:today") + "#routine-title")

    return view


routine_add = _routine_action(
    forms.RoutineAddForm,
    lambda user, data: checklist_services.routine_add(user=user, description=data["description"]),
    "Added to your routine: it starts every new day.",
)
routine_rename = _routine_action(
    forms.RoutineRenameForm,
    lambda user, data: checklist_services.routine_update(
        user=user, item_id=data["item"], description=data["description"]
    ),
    "Routine saved.",
)
routine_move = _routine_action(
    forms.RoutineMoveForm,
    lambda user, data: checklist_services.routine_update(user=user, item_id=data["item"], position=data["position"]),
    "Routine reordered.",
)
routine_remove = _routine_action(
    forms.RoutineItemForm,
    lambda user, data: checklist_services.routine_delete(user=user, item_id=data["item"]),
    "Removed from your routine (today's list keeps it).",
)
routine_from_yesterday = _routine_action(
    forms.RoutineReplaceForm,
    lambda user, data: checklist_services.routine_replace(user=user, checklist_id=data["checklist"]),
    "Yesterday's list is now your routine: it starts every new day.",
)
# A first day's "Make them my routine" (web/_glance.html): today's list, the examples tapped included.
routine_from_today = _routine_action(
    forms.RoutineReplaceForm,
    lambda user, data: checklist_services.routine_replace(user=user, checklist_id=data["checklist"]),
    "Today's list is now your routine: every new day starts with it.",
)


# Inbox -------------------------------------------------------------------------------


@signed_in
def inbox(request: SignedInRequest) -> HttpResponse:
    """Who nudged you and when, follow requests to accept or reject (rr.notifications.selectors.inbox).

    Opening it marks the nudges read, as POST /api/nudges/read/ does.
    """
    found = notification_selectors.inbox(user=request.user)
    if found.unread_nudges:
        notification_services.nudges_read(user=request.user)
    return render(request, "web/inbox.html", {"inbox": found})


# History -----------------------------------------------------------------------------

HISTORY_WINDOWS = (30, 365)


@signed_in
def history(request: SignedInRequest) -> HttpResponse:
    """The last 30 or 365 local days (rr.checklists.days, as GET /api/checklists/history/) as a calendar."""
    days = 365 if request.GET.get("days") == "365" else 30
    user = request.user
    found = checklist_days.history(user=user, days=days)
    goal = user.daily_goal
    rows = [
        {
            "date": day.date,
            "score": day.score,
            "index": chart.index_text(day.score),
            "regrets": day.regrets,
            "resolved": day.resolved,
            "kept": day.kept(goal),
        }
        for day in reversed(found.days)  # oldest first, left to right
    ]
    joined = user.date_joined.astimezone(local_now(request).tzinfo).date()
    words = glance.goal_words(goal)
    context = {
        "days": days,
        "windows": HISTORY_WINDOWS,
        "table_rows": list(reversed(rows)),
        "calendar": chart.calendar(rows, today=found.today, joined=joined),
        "summary": chart.summary(rows, today=found.today, joined=joined, goal_words=words),
        "current_streak": found.current_streak,
        "longest_streak": found.longest_streak,
        "strength": round(float(found.strength) * 100),
        "goal": words,
    }
    return render(request, "web/history.html", context)


# Friends -----------------------------------------------------------------------------


def _page(request: HttpRequest, user: User, kind: str) -> dict[str, Any]:
    """One page of a list, keyset-paginated by link id like GET /api/network/list/."""
    raw = request.GET.get(kind, "")
    cursor = int(raw) if raw.isascii() and raw.isdigit() and 0 < len(raw) <= 18 else None
    entries, count, next_cursor = network_selectors.network_page(
        user=user, kind=kind, cursor=cursor, page_size=FRIENDS_PAGE_SIZE
    )
    for entry in entries:  # the API's entry: a hidden index never leaves
        index = entry["regret_index"]
        entry["index_text"] = (
            "hidden" if index is None else "no checklist yet" if index == -1 else glance.index_text(index)
        )
    return {
        "kind": kind,
        "count": count,
        "entries": entries,
        "next_cursor": next_cursor,
        "cursor": cursor,
    }


@signed_in
def friends(request: SignedInRequest) -> HttpResponse:
    status = 200
    try:
        rate_limit(request, NetworkListThrottle)
        lists = [_page(request, request.user, kind) for kind in LIST_KINDS]
    except Refused as exc:
        messages.error(request, exc.message)
        lists, status = [], exc.status_code
    user = request.user
    context = {
        "lists": lists,
        "incoming": list(network_selectors.follow_requests(user=user, direction="incoming")[:FRIENDS_PAGE_SIZE]),
        "outgoing": list(network_selectors.follow_requests(user=user, direction="outgoing")[:FRIENDS_PAGE_SIZE]),
        "blocked": list(network_selectors.blocks(user=user)[:FRIENDS_PAGE_SIZE]),
        "query": request.GET,
    }
    return render(request, "web/friends.html", context, status=status)


def _back_to_friends(request: HttpRequest) -> HttpResponse:
    return redirect(request.POST.get("next") if _safe_next(request) else "web:friends")  # type: ignore[arg-type]


def _safe_next(request: HttpRequest) -> bool:
    value = request.POST.get("next", "")
    return value.startswith(("/friends/", "/inbox/")) and "//" not in value and "\\" not in value


@signed_in
@require_POST
def follow(request: SignedInRequest) -> HttpResponse:
    form = forms.FollowForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Type the username to follow (at most 255 characters).")
        return _back_to_friends(request)

    def act() -> str:
        rate_limit(request, FollowThrottle)
        target = network_selectors.user_get_active(username=form.cleaned_data["username"])
        made = network_services.network_follow(follower=request.user, target=target)
        if isinstance(made, FollowRequest):  # they approve their followers: a pending request
            return f"You asked to follow {target.username}; they will see your request."
        return f"You now follow {target.username}."

    report(request, act)
    return _back_to_friends(request)


def _user_button(
    lookup: Callable[..., User],
    run: Callable[[User, User], object],
    done: str,
    confirm: tuple[str, str] | None = None,
) -> Callable[..., HttpResponse]:
    """A Friends button about one user (hidden field `username`).

    `lookup` finds the user (a network selector), `run(user, other)` calls the service the
    API calls, `done` says what happened ("{}" is the other's username); back to Friends.
    With `confirm` ((question, button), "{}" the username), a destructive one: the first post
    answers a confirmation page (web/confirm.html, a plain form: no JavaScript needed)
    whose button posts again with `confirm=yes`.
    """

    @signed_in
    @require_POST
    def view(request: SignedInRequest) -> HttpResponse:
        form = forms.UsernameForm(request.POST)
        if confirm and request.POST.get("confirm") != "yes" and form.is_valid():
            username = form.cleaned_data["username"]
            return render(
                request,
                "web/confirm.html",
                {
                    "question": confirm[0].format(username),
                    "action": request.path,
                    "button": confirm[1],
                    "username": username,
                    "next": request.POST.get("next") if _safe_next(request) else reverse("web:friends"),
                },
            )

        def act() -> str:
            if not form.is_valid():
                raise Refused("Unknown user.")
            rate_limit(request, FollowThrottle)
            other = lookup(username=form.cleaned_data["username"])
            run(request.user, other)
            return done.format(other.username)

        report(request, act)
        return _back_to_friends(request)

    return view


unfollow = _user_button(
    network_selectors.user_get_any,
    lambda user, target: network_services.network_unfollow(follower=user, target=target),
    "You no longer follow {}.",
)
follower_remove = _user_button(
    network_selectors.user_get_any,
    lambda user, follower: network_services.network_follower_remove(user=user, follower=follower),
    "{} no longer follows you.",
    confirm=("Remove {} from your followers?", "Remove follower"),
)
block = _user_button(
    network_selectors.user_get_active,
    lambda user, target: network_services.block_create(user=user, target=target),
    "You blocked {}: neither of you follows or sees the other.",
    confirm=("Block {}? Neither of you will follow or see the other; follows and requests between you end.", "Block"),
)
unblock = _user_button(
    network_selectors.user_get_any,
    lambda user, target: network_services.block_delete(user=user, target=target),
    "You unblocked {}.",
)
nudge = _user_button(
    network_selectors.user_get_active,
    lambda user, recipient: notification_services.nudge_send(sender=user, recipient=recipient),
    "You nudged {}.",
)


@signed_in
@require_POST
def follow_request(request: SignedInRequest) -> HttpResponse:
    """Accept, reject (incoming) or cancel (outgoing) a pending follow request."""
    try:
        request_id = int(request.POST.get("request", ""))
    except ValueError:
        request_id = 0

    def act() -> str:
        if not 0 < request_id < 10**18:
            raise Refused("No such follow request.")
        if request.POST.get("action") == "accept":
            requester = network_services.follow_request_accept(user=request.user, request_id=request_id)
            return f"{requester} now follows you."
        outcome, other = network_services.follow_request_delete(user=request.user, request_id=request_id)
        return f"You cancelled your request to {other}." if outcome == "cancelled" else f"You declined {other}."

    report(request, act)
    return _back_to_friends(request)


# Settings ----------------------------------------------------------------------------


def _settings(
    request: SignedInRequest,
    *,
    networking_form: forms.NetworkingForm | None = None,
    password_form: forms.PasswordForm | None = None,
    delete_form: forms.DeleteForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    current = web_sessions.current_id(request)
    context = {
        "sessions": [
            {
                "session": session,
                "current": session.pk == current,
                "device": web_sessions.device_name(session.user_agent),
            }
            for session in account_services.session_list(user=user)
        ],
        "delete_form": delete_form or forms.DeleteForm(prefix="delete"),
        "networking_form": networking_form or forms.NetworkingForm.for_user(user),
        "password_form": password_form or forms.PasswordForm(),
        "reminder": notification_selectors.reminder_get(user=user),
        "vapid_public_key": _vapid_public_key(),
        "has_password": user.has_usable_password(),
    }
    return render(request, "web/settings.html", context, status=status)


@signed_in
def settings_page(request: SignedInRequest) -> HttpResponse:
    return _settings(request)


def _vapid_public_key() -> str:
    try:
        return push.vapid_public_key()
    except push.PushNotConfigured:
        return ""


@signed_in
@require_POST
def reminders(request: SignedInRequest) -> HttpResponse:
    """The daily reminder on or off and its time (as PATCH /api/reminders/); the offset follows the checklists."""
    form = forms.ReminderForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the reminder's time as HH:MM.")
        return redirect("web:settings")
    reminder = notification_services.reminder_set(
        user=request.user, enabled=form.cleaned_data["enabled"], local_time=form.cleaned_data["local_time"]
    )
    if reminder.enabled:
        messages.success(request, f"Daily reminder on, at {reminder.local_time:%H:%M} unless the day is kept by then.")
    else:
        messages.success(request, "Daily reminder off.")
    return redirect("web:settings")


@signed_in
@require_POST
def push_subscription(request: SignedInRequest) -> HttpResponse:
    """This browser's push subscription (as POST /api/push/subscriptions/): 201, or 400 with the reason."""
    form = forms.PushSubscriptionForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"error": "endpoint, p256dh and auth are required."}, status=400)
    try:
        notification_services.push_subscribe(user=request.user, **form.cleaned_data)
    except ServiceError as exc:
        return JsonResponse({"error": exc.message}, status=exc.status_code)
    return JsonResponse({"endpoint": form.cleaned_data["endpoint"]}, status=201)


@signed_in
@require_POST
def networking(request: SignedInRequest) -> HttpResponse:
    """Networking, follow approval and the daily goal, applied as PATCH /api/network/settings/ applies them."""
    form = forms.NetworkingForm(request.POST)
    if not form.is_valid():
        return _settings(request, networking_form=form, status=400)
    user, data = request.user, form.cleaned_data
    accepted = network_services.settings_update(
        user=user,
        allow_networking=data["allow_networking"],
        follow_approval=data["follow_approval"],
        daily_goal=data["daily_goal"],
    )
    message = network_selectors.networking_described(user)
    if accepted:
        message += f" {accepted} pending request{'s' if accepted > 1 else ''} accepted."
    messages.success(request, message)
    return redirect("web:settings")


@signed_in
@require_POST
def password(request: SignedInRequest) -> HttpResponse:
    form = forms.PasswordForm(request.POST)
    if not form.is_valid():
        return _settings(request, password_form=form, status=400)
    user, current = request.user, form.cleaned_data["current_password"]
    try:
        if current:
            guess(request, "password_guess", user.username, field="current_password")
        account_services.account_password_set(
            user=user, password=form.cleaned_data["password"], current_password=current
        )
    except Refused as exc:
        form.add_error(exc.field, exc.message)
        return _settings(request, password_form=form, status=exc.status_code)
    except ServiceError as exc:
        # account_password_set's codes: the current password missing or wrong, else the new one refused.
        wrong_current = exc.code in ("current_password_required", "wrong_current_password")
        form.add_error("current_password" if wrong_current else "password", exc.message)
        return _settings(request, password_form=form, status=exc.status_code)
    # Every session of the account ended (API and browsers); this browser goes on as a new one.
    update_session_auth_hash(request, user)
    web_sessions.renew(request, user)
    messages.success(request, "Password saved. Your other browsers and devices are signed out.")
    return redirect("web:settings")


@signed_in
@require_POST
def sessions_end_others(request: SignedInRequest) -> HttpResponse:
    ended = account_services.sessions_end_others(user=request.user, current_session_id=web_sessions.current_id(request))
    messages.success(request, f"Logged out everywhere else ({ended} session{'s' if ended != 1 else ''} ended).")
    return redirect("web:settings")


@signed_in
def export(request: SignedInRequest) -> HttpResponse:
    """Everything stored about the account, as the JSON GET /auth/user/export/ answers."""
    response = JsonResponse(export_selectors.account_export(user=request.user), json_dumps_params={"indent": 2})
    response["Content-Disposition"] = f'attachment; filename="regret-regret-{request.user.pk}.json"'
    response["Cache-Control"] = "no-store"
    return response


@signed_in
@require_POST
def delete_account(request: SignedInRequest) -> HttpResponse:
    """Delete the account after the accounts rule's proof: the password, or without one the username."""
    form = forms.DeleteForm(request.POST, prefix="delete")
    form.is_valid()
    user = request.user
    try:
        guess(request, "password_guess", user.username, field="password")
        account_services.account_delete(
            user=user, password=form.cleaned_data.get("password") or None, confirm=form.cleaned_data.get("confirm")
        )
    except (Refused, ServiceError) as exc:
        field = getattr(exc, "field", None) or ("password" if user.has_usable_password() else "confirm")
        form.add_error(field, exc.message)
        return _settings(request, delete_form=form, status=exc.status_code)
    logout(request)
    messages.success(request, "Your account and everything in it were deleted.")
    return redirect("web:welcome")
