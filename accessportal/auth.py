"""Sign-in policy for local accounts (django-allauth)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings

if TYPE_CHECKING:
    from django.http import HttpRequest


class PortalAccountAdapter(DefaultAccountAdapter):
    """Self sign-up only when the operator allows it; identities come from the source."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return settings.ACCOUNT_ALLOW_SIGNUP
