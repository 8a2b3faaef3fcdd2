"""Admins must use two-factor authentication when MFA_REQUIRED_FOR_ADMINS is on."""

from __future__ import annotations

from typing import TYPE_CHECKING

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import BACKEND_SESSION_KEY
from django.http import JsonResponse
from django.shortcuts import redirect

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.http import HttpRequest, HttpResponse

SSO_BACKEND = "accessportal.oidc.PortalOIDCBackend"
SETUP_MESSAGE = (
    "Administrators must use two-factor authentication. "
    "Set up an authenticator app to continue."
)


class RequireAdminMFAMiddleware:
    """Send an admin without an authenticator app to set one up before anything else.

    Sign-in, sign-out and the MFA pages themselves (/accounts/), static files and the
    health check stay reachable. Sessions opened through company SSO are left to the
    identity provider, which enforces its own second factor.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.MFA_REQUIRED_FOR_ADMINS and self.must_set_up_mfa(request):
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": SETUP_MESSAGE}, status=403)
            messages.warning(request, SETUP_MESSAGE)
            return redirect("mfa_activate_totp")
        return self.get_response(request)

    @staticmethod
    def must_set_up_mfa(request: HttpRequest) -> bool:
        """An admin, signed in locally, on a guarded page, without TOTP."""
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_admin:
            return False
        exempt = ("/accounts/", f"/{settings.STATIC_URL.strip('/')}/", "/health/")
        if request.path.startswith(exempt):
            return False
        if request.session.get(BACKEND_SESSION_KEY) == SSO_BACKEND:
            return False
        return not Authenticator.objects.filter(
            user=user, type=Authenticator.Type.TOTP
        ).exists()
