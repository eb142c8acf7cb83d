"""The pages' forms: shapes and sizes only; every rule is the services'."""

from django import forms

from rr.checklists.models import Regret


class SignInForm(forms.Form):
    username = forms.CharField(label="Username", max_length=255, strip=False)
    password = forms.CharField(label="Password", max_length=128, strip=False, widget=forms.PasswordInput)
    # The button pressed: "Log in" (also Enter in a field, the form's first button) or "Sign up".
    action = forms.ChoiceField(choices=[("login", "Log in"), ("signup", "Sign up")], required=False)

    def clean_action(self):
        return self.cleaned_data.get("action") or "login"


class RegretForm(forms.Form):
    description = forms.CharField(label="New regret", max_length=Regret._meta.get_field("description").max_length)
    checklist = forms.IntegerField(min_value=1, max_value=10**18 - 1, widget=forms.HiddenInput)


class TickForm(forms.Form):
    checklist = forms.IntegerField(min_value=1, max_value=10**18 - 1, widget=forms.HiddenInput)

    def __init__(self, data=None):
        super().__init__(data)
        self.regret_ids = []
        if data is not None:
            self.regret_ids = data.getlist("resolve")

    def clean(self):
        try:
            ids = sorted({int(raw) for raw in self.regret_ids})
        except ValueError:
            raise forms.ValidationError("Unknown regret.") from None
        if any(not 1 <= regret_id < 10**18 for regret_id in ids):
            raise forms.ValidationError("Unknown regret.")
        self.cleaned_data["regret_ids"] = ids
        return self.cleaned_data


class UsernameForm(forms.Form):
    username = forms.CharField(label="Username", max_length=255, strip=False)


class FollowForm(forms.Form):
    username = forms.CharField(label="Follow username", max_length=255, strip=False)


class NetworkingForm(forms.Form):
    allow_networking = forms.BooleanField(label="Networking on", required=False)
    follow_approval = forms.BooleanField(label="Approve followers", required=False)
    daily_goal = forms.DecimalField(
        label="Daily goal", min_value=0, max_value=1, max_digits=5, decimal_places=4, initial=0
    )


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
