"""Company SSO through OpenID Connect (mozilla-django-oidc)."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from accessportal.models import IdentitySource, User

logger = logging.getLogger(__name__)


class PortalOIDCBackend(OIDCAuthenticationBackend):
    """Match the SSO identity by email (case-insensitive), else create it when allowed."""

    def authenticate(self, request: Any, **kwargs: Any) -> User | None:
        if not settings.OIDC_ENABLED:
            return None
        return super().authenticate(request, **kwargs)

    def filter_users_by_claims(self, claims: dict[str, Any]) -> Any:
        email = (claims.get("email") or "").strip()
        if not email:
            return self.UserModel.objects.none()
        return self.UserModel.objects.with_email(email)

    def create_user(self, claims: dict[str, Any]) -> User:
        email = claims["email"].strip()
        user = User.objects.create_user(
            username=self.unique_username(email),
            email=email,
            first_name=claims.get("given_name", ""),
            last_name=claims.get("family_name", ""),
            display_name=claims.get("name", ""),
            source=IdentitySource.SSO,
        )
        logger.info("Created identity %s from SSO sign-in", user.pk)
        return user

    def update_user(self, user: User, claims: dict[str, Any]) -> User:
        changed = False
        for field, claim in (
            ("first_name", "given_name"),
            ("last_name", "family_name"),
        ):
            value = claims.get(claim)
            if value and not getattr(user, field):
                setattr(user, field, value)
                changed = True
        if changed:
            user.save(update_fields=["first_name", "last_name"])
        return user

    @staticmethod
    def unique_username(email: str) -> str:
        """The email's local part, made unique."""
        base = email.split("@", 1)[0][:140] or "user"
        candidate, suffix = base, 1
        while User.objects.filter(username=candidate).exists():
            suffix += 1
            candidate = f"{base}{suffix}"
        return candidate
