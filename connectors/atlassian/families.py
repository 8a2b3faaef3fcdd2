"""The four API clients of one connection, and the lookups that need several of them."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from connectors.atlassian.admin import AdminClient
from connectors.atlassian.confluence import ConfluenceClient
from connectors.atlassian.confluence_content import ConfluenceContentClient
from connectors.atlassian.http import (
    ApiClient,
    BackoffGate,
    BasicAuth,
    BearerAuth,
    CallCounter,
    RetryPolicy,
    Timeouts,
    build_http_client,
)
from connectors.atlassian.jira import JiraClient
from connectors.atlassian.jira_issues import JiraIssueClient
from connectors.atlassian.scim import ScimClient
from connectors.base import ApiFamily, NotFound

if TYPE_CHECKING:
    import httpx

    from connectors.atlassian.admin_models import AdminGroup
    from connectors.atlassian.connector import ConnectionSettings
    from connectors.atlassian.scim import ScimUser


@dataclass
class _Cache:
    """Small per-connector caches of rarely changing lookups."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    directory_id: str | None = None
    default_group_ids: tuple[str, ...] | None = None
    groups: dict[str, AdminGroup | None] = field(default_factory=dict)


class Families:
    """The clients of one connection (SCIM and Admin are optional) and shared lookups."""

    def __init__(
        self,
        settings: ConnectionSettings,
        *,
        transport: httpx.BaseTransport | None = None,
        policy: RetryPolicy | None = None,
    ) -> None:
        self.settings = settings
        self.policy = policy or RetryPolicy(
            max_attempts=settings.max_attempts,
            max_retry_seconds=settings.max_retry_seconds,
        )
        self.gate = BackoffGate(
            self.policy
        )  # one gate: a 429 anywhere pauses every call
        self.counter = CallCounter()
        self._transport = transport
        self._cache = _Cache()
        site = settings.site_url.rstrip("/")
        basic = BasicAuth(settings.admin_email, settings.api_token)
        self.jira = JiraClient(self._api(ApiFamily.JIRA, site, basic))
        self.confluence = ConfluenceClient(self._api(ApiFamily.CONFLUENCE, site, basic))
        self.issues = JiraIssueClient(self.jira.api)
        self.content = ConfluenceContentClient(self.confluence.api)
        self.scim: ScimClient | None = None
        if settings.scim_url and settings.directory_api_key:
            bearer = BearerAuth(settings.directory_api_key)
            self.scim = ScimClient(self._api(ApiFamily.SCIM, settings.scim_url, bearer))
        self.admin: AdminClient | None = None
        if settings.org_id and settings.org_api_key:
            bearer = BearerAuth(settings.org_api_key)
            api = self._api(ApiFamily.ADMIN, settings.admin_api_url, bearer)
            self.admin = AdminClient(api, settings.org_id)

    def _api(self, family: ApiFamily, base_url: str, auth: httpx.Auth) -> ApiClient:
        http = build_http_client(
            base_url.rstrip("/"),
            auth,
            timeouts=Timeouts(
                self.settings.connect_timeout, self.settings.read_timeout
            ),
            max_connections=max(2, self.settings.max_concurrency),
            transport=self._transport,
        )
        return ApiClient(
            family, http, policy=self.policy, gate=self.gate, counter=self.counter
        )

    def close(self) -> None:
        """Close every pooled connection."""
        for client in (self.jira, self.confluence, self.scim, self.admin):
            if client is not None:
                client.api.close()

    def _cached(self, attribute: str, compute: Callable[[], Any]) -> Any:
        value = getattr(self._cache, attribute)
        if value is None:
            value = compute()
            with self._cache.lock:
                setattr(self._cache, attribute, value)
        return value

    # -- lookups ---------------------------------------------------------------------

    def directory_id(self) -> str:
        """The Admin API directory id.

        Whether the SCIM directory id equals the Admin one is unconfirmed, so the
        configured id is used when the org lists it; otherwise the org's only directory.
        """

        def compute() -> str:
            assert self.admin is not None  # noqa: S101 - callers check first
            listed = [d.id for d in self.admin.list_directories()]
            if self.settings.directory_id in listed or len(listed) != 1:
                return self.settings.directory_id
            return listed[0]

        return self._cached("directory_id", compute)

    def default_group_ids(self) -> tuple[str, ...]:
        """The configured default product groups, names resolved to groupIds."""

        def compute() -> tuple[str, ...]:
            names = list(self.settings.default_groups)
            if not names:
                return ()
            found = {g.name: g.group_id for g in self.jira.list_groups(names=names)}
            missing = [n for n in names if n not in found]
            if missing:
                raise NotFound(
                    f"Default groups not found in Jira: {', '.join(missing)}",
                    family="jira",
                )
            return tuple(found[n] for n in names)

        return self._cached("default_group_ids", compute)

    def admin_group(self, group_id: str) -> AdminGroup | None:
        """The Admin API view of a group (IdP-sync flags), or None without Admin access."""
        if self.admin is None:
            return None
        if group_id in self._cache.groups:
            return self._cache.groups[group_id]
        try:
            group = self.admin.get_group(self.directory_id(), group_id)
        except NotFound:
            group = None
        with self._cache.lock:
            self._cache.groups[group_id] = group
        return group

    def email_of(self, account_id: str) -> str | None:
        """The account's email from the Admin directory, else from Jira (may be hidden)."""
        if self.admin is not None:
            try:
                return self.admin.get_directory_user(
                    self.directory_id(), account_id
                ).email
            except NotFound:
                pass
        user = self.jira.get_user(account_id)
        return user.email_address if user else None

    def scim_user_for(self, account_id: str) -> ScimUser | None:
        """The SCIM user linked to the accountId, found by userName = email; or None.

        SCIM filters only on userName/externalId, so this relies on userName being the
        email, as this portal provisions it.
        """
        if self.scim is None:
            return None
        email = self.email_of(account_id)
        if not email:
            return None
        user = self.scim.find_user_by_user_name(email)
        if user is None or (user.account_id and user.account_id != account_id):
            return None
        return user
