"""Bootstrap of the default Application from the ATLASSIAN_* settings."""

from __future__ import annotations

from django.conf import settings

from connectors.models import Application

DEFAULT_APPLICATION_NAME = "Atlassian Cloud"


def ensure_default_application() -> Application:
    """The default Application, created from the environment when missing.

    Idempotent. An existing Application is left as the admins edited it.
    """
    application = Application.objects.filter(name=DEFAULT_APPLICATION_NAME).first()
    if application is not None:
        return application
    return Application.objects.create(
        name=DEFAULT_APPLICATION_NAME,
        site_url=settings.ATLASSIAN_SITE_URL,
        admin_email=settings.ATLASSIAN_ADMIN_EMAIL,
        api_token=settings.ATLASSIAN_API_TOKEN,
        scim_url=settings.ATLASSIAN_SCIM_URL,
        directory_id=settings.ATLASSIAN_DIRECTORY_ID,
        directory_api_key=settings.ATLASSIAN_DIRECTORY_API_KEY,
        admin_api_url=settings.ATLASSIAN_ADMIN_API_URL,
        org_id=settings.ATLASSIAN_ORG_ID,
        org_api_key=settings.ATLASSIAN_ORG_API_KEY,
        default_groups=list(settings.ATLASSIAN_DEFAULT_GROUPS),
        max_concurrency=settings.ATLASSIAN_MAX_CONCURRENCY,
    )
