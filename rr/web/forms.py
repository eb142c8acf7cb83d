"""The pages' forms: shapes and sizes only; every rule is the services'."""

from decimal import Decimal
from typing import Any, cast

from django import forms
from django.http import QueryDict

from rr.accounts.models import User
from rr.checklists.models import Regret
from rr.web.glance import GOAL_CHOICES, goal_from_percent, goal_percent


class SignInForm(forms.Form):
    username = forms.CharField(label="Username", max_length=255, strip=False)
    password = forms.CharField(label="Password", max_length=128, strip=False, widget=forms.PasswordInput)


class RegretForm(forms.Form):
    description = forms.CharField(label="New regret", max_length=Regret._meta.get_field("description").max_length)
    checklist = forms.IntegerField(min_value=1, max_value=10**18 - 1, widget=forms.HiddenInput)
    # The offline queue's idempotency key (rr/web/static/web/app.js): a replay adds nothing twice.
    client_id = forms.UUIDField(required=False, widget=forms.HiddenInput)


class TickForm(forms.Form):
    checklist = forms.IntegerField(min_value=1, max_value=10**18 - 1, widget=forms.HiddenInput)

    def __init__(self, data: QueryDict | None = None) -> None:
        super().__init__(data)
        self.regret_ids: list[str] = []
        if data is not None:
            self.regret_ids = data.getlist("resolve")

    def clean(self) -> dict[str, Any]:
        try:
            ids = sorted({int(raw) for raw in self.regret_ids})
        except ValueError:
            raise forms.ValidationError("Unknown regret.") from None
        if any(not 1 <= regret_id < 10**18 for regret_id in ids):
            raise forms.ValidationError("Unknown regret.")
        self.cleaned_data["regret_ids"] = ids
        return self.cleaned_data


ID: dict[str, Any] = {"min_value": 1, "max_value": 10**18 - 1, "widget": forms.HiddenInput}
DESCRIPTION_LENGTH = Regret._meta.get_field("description").max_length


class RegretActionForm(forms.Form):
    checklist = forms.IntegerField(**ID)
    regret = forms.IntegerField(**ID)


class RegretEditForm(RegretActionForm):
    description = forms.CharField(label="Regret", max_length=DESCRIPTION_LENGTH)


class RoutineAddForm(forms.Form):
    description = forms.CharField(label="New routine regret", max_length=DESCRIPTION_LENGTH)


class RoutineItemForm(forms.Form):
    item = forms.IntegerField(**ID)


class RoutineRenameForm(RoutineItemForm):
    description = forms.CharField(label="Routine regret", max_length=DESCRIPTION_LENGTH)


class RoutineMoveForm(RoutineItemForm):
    position = forms.IntegerField(min_value=1, max_value=10**6, widget=forms.HiddenInput)


class RoutineReplaceForm(forms.Form):
    checklist = forms.IntegerField(**ID)


class UsernameForm(forms.Form):
    username = forms.CharField(label="Username", max_length=255, strip=False)


class FollowForm(forms.Form):
    username = forms.CharField(label="Follow username", max_length=255, strip=False)


class NetworkingForm(forms.Form):
    """Networking, follower approval and the daily goal, chosen in words or as a share done."""

    allow_networking = forms.BooleanField(label="Networking on", required=False)
    follow_approval = forms.BooleanField(label="Approve followers", required=False)
    goal = forms.ChoiceField(
        label="Daily goal",
        choices=[(str(value), words.capitalize()) for value, words in GOAL_CHOICES] + [("percent", "A share done")],
        widget=forms.RadioSelect,
    )
    goal_percent = forms.IntegerField(label="Done at least (%)", min_value=1, max_value=100, required=False)

    @classmethod
    def for_user(cls, user: User) -> "NetworkingForm":
        goal = user.daily_goal
        chosen = next((str(value) for value, _ in GOAL_CHOICES if value == goal), "percent")
        return cls(
            initial={
                "allow_networking": user.allow_networking,
                "follow_approval": user.follow_approval,
                "goal": chosen,
                "goal_percent": goal_percent(goal) if chosen == "percent" else None,
            }
        )

    def clean(self) -> dict[str, Any]:
        data = cast(dict[str, Any], super().clean())  # Form.clean returns cleaned_data
        if data.get("goal") == "percent":
            if data.get("goal_percent") is None:
                if "goal_percent" not in self.errors:
                    self.add_error("goal_percent", "Say what share of your regrets keeps a day (1 to 100).")
            else:
                data["daily_goal"] = goal_from_percent(data["goal_percent"])
        elif data.get("goal") is not None:
            data["daily_goal"] = Decimal(data["goal"])
        return data


class ReminderForm(forms.Form):
    enabled = forms.BooleanField(label="Daily reminder", required=False)
    local_time = forms.TimeField(label="At", input_formats=["%H:%M"])


class PushSubscriptionForm(forms.Form):
    # PushSubscription.toJSON()'s fields, flattened (rr/web/static/web/app.js sends them).
    endpoint = forms.CharField(max_length=2048)
    p256dh = forms.CharField(max_length=128)
    auth = forms.CharField(max_length=64)


class PasswordForm(forms.Form):
    current_password = forms.CharField(
        label="Current password", max_length=128, strip=False, required=False, widget=forms.PasswordInput
    )
    password = forms.CharField(label="New password", max_length=128, strip=False, widget=forms.PasswordInput)


class RecoverForm(forms.Form):
    username = forms.CharField(label="Username", max_length=255, strip=False)
    code = forms.CharField(label="Recovery code", max_length=64)
    password = forms.CharField(label="New password", max_length=128, strip=False, widget=forms.PasswordInput)


class DeleteForm(forms.Form):
    # The password, or for an account without one its username (the accounts rule decides).
    password = forms.CharField(
        label="Password", max_length=128, strip=False, required=False, widget=forms.PasswordInput
    )
    confirm = forms.CharField(label="Type your username", max_length=255, strip=False, required=False)
