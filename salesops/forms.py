from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from .models import Membership, Organization, Role, Team, TeamKind, User
from .models.notifications import WebhookKind
from .services.tenancy import ORG_SETTING_FIELDS


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("Email"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )
    error_messages = {
        "invalid_login": _("Email or password is not correct."),
        "inactive": _("This account is inactive."),
    }


class OrgSettingsForm(forms.ModelForm):
    class Meta:
        model = Organization
        fields = list(ORG_SETTING_FIELDS)
        widgets = {"fiscal_year_start_month": forms.Select(choices=[(m, m) for m in range(1, 13)])}


class TeamForm(forms.ModelForm):
    class Meta:
        model = Team
        fields = ["name", "kind", "parent", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: object, org: Organization, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        parents = Team.objects.for_org(org).active().order_by("name")
        if self.instance.pk:
            parents = parents.exclude(pk=self.instance.pk)
        self.fields["parent"].queryset = parents
        self.fields["parent"].required = False
        self.fields["kind"].choices = TeamKind.choices


class TeamMemberAddForm(forms.Form):
    membership = forms.ModelChoiceField(queryset=Membership.objects.none(), label=_("Person"))
    is_lead = forms.BooleanField(required=False, label=_("Team lead"))

    def __init__(self, *args: object, team: Team, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["membership"].queryset = (
            Membership.objects.for_org(team.org)
            .active()
            .exclude(team_memberships__team=team)
            .select_related("user")
            .order_by("user__display_name")
        )
        self.fields["membership"].label_from_instance = lambda m: (
            f"{m.user.display_name} <{m.user.email}>"
        )


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices, label=_("Role"))


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("Email"))
    role = forms.ChoiceField(choices=Role.choices, initial=Role.REP, label=_("Role"))
    teams = forms.ModelMultipleChoiceField(
        queryset=Team.objects.none(),
        required=False,
        label=_("Teams"),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: object, org: Organization, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["teams"].queryset = Team.objects.for_org(org).active().order_by("name")


class AcceptInvitationForm(forms.Form):
    display_name = forms.CharField(label=_("Your name"), max_length=150)
    password1 = forms.CharField(
        label=_("Password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password2 = forms.CharField(
        label=_("Password again"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: object, email: str, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.email = email

    def clean(self) -> dict:  # type: ignore[type-arg]
        data = super().clean() or {}
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords differ."))
        elif first:
            candidate = User(email=self.email, display_name=data.get("display_name", ""))
            try:
                password_validation.validate_password(first, candidate)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["display_name", "preferred_language"]


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Token name"),
        max_length=100,
        help_text=_("Where you will use it, e.g. “CRM sync”."),
    )


class WebhookForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(choices=WebhookKind.choices, label=_("Format"))
    url = forms.URLField(label=_("Webhook URL"), max_length=500, assume_scheme="https")
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
