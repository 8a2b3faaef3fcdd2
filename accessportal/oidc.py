"""Company SSO through OpenID Connect (mozilla-django-oidc)."""

from __future__ import annotations

import logging
from typing import Any

from django.apps import apps
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

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        """An email is required, and it must not be one the provider says is unverified.

        Identities are matched by email, so an unverified address could take over
        someone else's identity. Providers that do not send `email_verified` at all
        (many company IdPs) are trusted to own their domain.
        """
        email = (claims.get("email") or "").strip()
        if not email or claims.get("email_verified") is False:
            logger.warning("SSO sign-in refused: no verified email in the claims")
            return False
        return True

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
        link_atlassian_accounts(user)
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
        link_atlassian_accounts(user)
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


def link_atlassian_accounts(user: User) -> int:
    """Link the unlinked Atlassian accounts with the identity's email to it.

    Reconciliation links accounts by email too; this covers an identity that signs in
    for the first time between two reconciliations. Accounts already linked to
    someone are left alone. Returns how many were linked.
    """
    if not user.email:
        return 0
    # Looked up by name: the project package does not import the connectors app.
    account_model = apps.get_model("connectors", "Account")
    linked = account_model.objects.filter(
        email__iexact=user.email, identity__isnull=True
    ).update(identity=user)
    if linked:
        logger.info("Linked %s Atlassian account(s) to identity %s", linked, user.pk)
    return linked
