"""Drive the Access Portal REST API: request access, have it approved, use it, give it back.

The whole loop with two tokens, the requester's and their manager's:

1. list the catalog and pick an entitlement (by search words),
2. request it with a justification,
3. the manager approves it,
4. poll until the request is `active` (a worker provisioned it in Atlassian),
5. revoke the grant and poll until it is `revoked` (removed from Atlassian).

Tokens come from the admin site (Auth Token → Tokens) or, on the server,
`python manage.py drf_create_token USERNAME`. With `make run` (demo data):

    python docs/api_example.py --url http://127.0.0.1:8000 \
        --token "$(python manage.py drf_create_token alice | awk '{print $3}')" \
        --manager-token "$(python manage.py drf_create_token bob | awk '{print $3}')" \
        --search "WEB Release Manager"

Needs only httpx (`pip install httpx`).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import Any

import httpx

Step = Callable[[str, dict[str, Any]], None]


class PortalError(Exception):
    """The portal refused a call; the message says what and why."""


def client(
    url: str, token: str, transport: httpx.BaseTransport | None = None
) -> httpx.Client:
    """An API client authenticated with a token."""
    return httpx.Client(
        base_url=url.rstrip("/") + "/api/v1/",
        headers={"Authorization": f"Token {token}", "Accept": "application/json"},
        timeout=30.0,
        transport=transport,
    )


def call(api: httpx.Client, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
    """One API call; a 4xx/5xx becomes a PortalError with the portal's message."""
    response = api.request(method, path, **kwargs)
    if response.is_error:
        raise PortalError(f"{method} {path}: {response.status_code} {response.text}")
    return response.json()


def find_entitlement(api: httpx.Client, search: str) -> dict[str, Any]:
    """The first catalog entry matching the search words."""
    page = call(api, "GET", "entitlements/", params={"search": search})
    if not page["results"]:
        raise PortalError(f"Nothing in the catalog matches {search!r}.")
    return page["results"][0]


def wait_for(
    api: httpx.Client, path: str, states: set[str], timeout: float
) -> dict[str, Any]:
    """Poll an object until its state is one of `states`."""
    deadline = time.monotonic() + timeout
    while True:
        found = call(api, "GET", path)
        if found["state"] in states:
            return found
        if time.monotonic() > deadline:
            raise PortalError(f"{path} still {found['state']} after {timeout:.0f} s")
        time.sleep(1.0)


def run(
    requester: httpx.Client,
    manager: httpx.Client,
    *,
    search: str,
    timeout: float = 120.0,
    on_step: Step = lambda name, data: None,
) -> dict[str, Any]:
    """The whole loop; `on_step(name, data)` is called after each step."""
    entitlement = find_entitlement(requester, search)
    on_step("found", entitlement)
    request = call(
        requester,
        "POST",
        "requests/",
        json={
            "entitlement": entitlement["id"],
            "justification": "I run the next release.",
            "duration_days": 30,
        },
    )
    on_step("requested", request)
    approved = call(
        manager, "POST", f"requests/{request['id']}/approve/", json={"comment": "Yes"}
    )
    on_step("approved", approved)
    active = wait_for(
        requester, f"requests/{request['id']}/", {"active", "failed"}, timeout
    )
    if active["state"] != "active":
        raise PortalError(f"Provisioning failed: {active['state_reason']}")
    on_step("active", active)
    grant_id = active["grant"]["id"]
    call(requester, "POST", f"grants/{grant_id}/revoke/", json={"reason": "Done"})
    revoked = wait_for(requester, f"grants/{grant_id}/", {"revoked"}, timeout)
    on_step("revoked", revoked)
    return revoked


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--token", required=True, help="the requester's API token")
    parser.add_argument("--manager-token", required=True, help="their manager's")
    parser.add_argument("--search", default="WEB Release Manager")
    parser.add_argument("--timeout", type=float, default=120.0)
    options = parser.parse_args()

    def show(name: str, data: dict[str, Any]) -> None:
        label = data.get("display_name") or data.get("entitlement", {}).get(
            "display_name", ""
        )
        state = data.get("state", "")
        print(f"{name:>9}: #{data['id']} {label} {state}".rstrip())  # noqa: T201

    with (
        client(options.url, options.token) as requester,
        client(options.url, options.manager_token) as manager,
    ):
        try:
            run(
                requester,
                manager,
                search=options.search,
                timeout=options.timeout,
                on_step=show,
            )
        except (PortalError, httpx.HTTPError) as error:
            print(f"error: {error}", file=sys.stderr)  # noqa: T201
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
