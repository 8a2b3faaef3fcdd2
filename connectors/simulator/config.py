"""What the simulated organization is called and which credentials it accepts."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

DEFAULT_PRODUCT_GROUPS = {
    "jira-software-users": "jira-software",
    "jira-servicemanagement-users": "jira-servicedesk",
    "jira-core-users": "jira-core",
    "confluence-users": "confluence",
}
PRODUCT_NAMES = {
    "jira-software": "Jira",
    "jira-servicedesk": "Jira Service Management",
    "jira-core": "Jira Work Management",
    "confluence": "Confluence",
}


@dataclass
class SimulatorConfig:
    """Names, base URLs, credentials and on-request features of the simulated org."""

    site_url: str = "https://acme.atlassian.net"
    admin_api_url: str = "https://api.atlassian.com"
    directory_id: str = "5f0b4c1e-2d7a-4a8e-9f3b-6c1d2e3f4a5b"
    directory_api_key: str = "sim-directory-api-key"
    org_id: str = "0b9d7c2a-8e4f-4d1b-a3c6-7f8e9d0a1b2c"
    org_api_key: str = "sim-org-api-key"
    admin_email: str = "admin@acme.example"
    api_token: str = "sim-api-token"  # noqa: S105 - the simulator's demo credential
    verified_domains: tuple[str, ...] = ("acme.example",)
    org_roles_enabled: bool = False
    invite_enabled: bool = False
    product_group_limits: dict[str, int | None] = field(
        default_factory=lambda: {"jira-software-users": None, "confluence-users": None}
    )
    product_groups: dict[str, str] = field(
        default_factory=lambda: dict(DEFAULT_PRODUCT_GROUPS)
    )
    org_name: str = "Acme"
    admin_directory_id: str = ""  # Admin API v2 directory id; derived when empty
    scim_group_rename_enabled: bool = False
    longtask_polls: int = 2  # GETs of a long task until it reports 100 %

    def __post_init__(self) -> None:
        self.site_url = self.site_url.rstrip("/")
        self.admin_api_url = self.admin_api_url.rstrip("/")
        self.verified_domains = tuple(d.lower() for d in self.verified_domains)
        if not self.admin_directory_id:
            # Whether the Admin directoryId equals the SCIM one is unconfirmed: keep them apart.
            self.admin_directory_id = str(
                uuid.uuid5(uuid.NAMESPACE_URL, f"dir:{self.org_id}")
            )

    @classmethod
    def from_urls(cls, base_url: str, **kwargs: object) -> SimulatorConfig:
        """Config for one server that serves every family at `base_url`."""
        return cls(site_url=base_url, admin_api_url=base_url, **kwargs)  # type: ignore[arg-type]

    @property
    def scim_url(self) -> str:
        """The SCIM base URL a client should use."""
        return f"{self.admin_api_url}/scim/directory/{self.directory_id}"

    @property
    def cloud_id(self) -> str:
        """The site's cloudId, stable for a site URL."""
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"cloud:{self.site_url}"))

    @property
    def workspaces(self) -> dict[str, tuple[str, str]]:
        """Workspace (resource) id -> (product key, display name)."""
        cloud = self.cloud_id
        return {
            f"ari:cloud:jira::site/{cloud}": ("jira-software", f"{self.org_name} Jira"),
            f"ari:cloud:confluence::site/{cloud}": (
                "confluence",
                f"{self.org_name} Confluence",
            ),
        }

    def is_verified(self, email: str) -> bool:
        """Tell whether the email's domain is a verified domain of the org."""
        return email.rpartition("@")[2].lower() in self.verified_domains

    def base_urls(self, base_url: str) -> dict[str, str]:
        """The base URLs a portal should use when everything is served at `base_url`."""
        return {
            "ATLASSIAN_SITE_URL": base_url,
            "ATLASSIAN_ADMIN_API_URL": base_url,
            "ATLASSIAN_SCIM_URL": f"{base_url}/scim/directory/{self.directory_id}",
        }
