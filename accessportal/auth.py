"""Sign-in policy for local accounts (django-allauth)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.forms import LoginForm
from django.conf import settings

if TYPE_CHECKING:
    from django.http import HttpRequest


class PortalAccountAdapter(DefaultAccountAdapter):
    """Self sign-up only when the operator allows it; identities come from the source."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return settings.ACCOUNT_ALLOW_SIGNUP


class PortalLoginForm(LoginForm):
    """allauth's sign-in form with labels a first-time visitor understands."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["login"].label = "Username or email"
        self.fields["login"].widget.attrs["autofocus"] = True
        if "remember" in self.fields:
            self.fields["remember"].label = "Keep me signed in on this device"
