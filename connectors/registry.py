"""Wiring: the connector for an Application.

The only place that builds connectors. Tests (and nothing else) may route every
connector through an in-process transport, such as the simulator's, with
`use_transport`.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    from collections.abc import Iterator

    import httpx

    from connectors.base import Connector
    from connectors.models import Application

_transport_override: httpx.BaseTransport | None = None


@contextlib.contextmanager
def use_transport(transport: httpx.BaseTransport) -> Iterator[None]:
    """Route every connector built inside the block through `transport`."""
    global _transport_override
    previous, _transport_override = _transport_override, transport
    try:
        yield
    finally:
        _transport_override = previous


def connection_settings(application: Application) -> object:
    """The Atlassian connection settings of an Application (secrets decrypted)."""
    from connectors.atlassian.connector import ConnectionSettings

    return ConnectionSettings(
        site_url=application.site_url,
        admin_email=application.admin_email,
        api_token=application.api_token,
        scim_url=application.scim_url,
        directory_id=application.directory_id,
        directory_api_key=application.directory_api_key,
        admin_api_url=application.admin_api_url,
        org_id=application.org_id,
        org_api_key=application.org_api_key,
        default_groups=tuple(application.default_groups or ()),
        max_concurrency=application.max_concurrency
        or settings.ATLASSIAN_MAX_CONCURRENCY,
        connect_timeout=settings.ATLASSIAN_CONNECT_TIMEOUT,
        read_timeout=settings.ATLASSIAN_READ_TIMEOUT,
    )


def connector_for(application: Application) -> Connector:
    """A connector speaking to the Application's Atlassian organization."""
    from connectors.atlassian.connector import AtlassianConnector

    return AtlassianConnector(
        connection_settings(application),  # type: ignore[arg-type]
        transport=_transport_override,
    )
