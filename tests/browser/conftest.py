"""Browser fixtures: Debian's Chromium driven by Playwright, and a real OpenID Connect provider.

Never a downloaded browser: Playwright starts /usr/bin/chromium headless with the flags
a closed network needs, each test in a fresh profile.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# between browser steps are plain synchronous calls, so Django's guard does not apply.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PROJECT_DIR = Path(__file__).resolve().parents[2]
# The README's screenshots are refreshed with UPDATE_SCREENSHOTS=1; other runs keep
# theirs under var/ so that running the tests leaves the work tree clean.
SCREENSHOTS = (
    PROJECT_DIR / "docs" / "screenshots"
    if os.environ.get("UPDATE_SCREENSHOTS") == "1"
    else PROJECT_DIR / "var" / "screenshots"
)
PROVIDER_DIR = PROJECT_DIR / "tests" / "oidc_provider"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def browser():
    """Chromium from Debian, headless; a fresh profile per test."""
    from django.db import connections
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=shutil.which("chromium") or CHROMIUM, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()
        # While Playwright's event loop runs in this thread, Django keeps the thread's
        # database connections in a context-local store apart from the usual one: an
        # ORM call the test made opened a connection there that the test database's
        # teardown never sees (PostgreSQL: "test_accessportal is being accessed by
        # other users"). Close it while that store is still the current one.
        connections.close_all()


@pytest.fixture
def new_page(browser, live_server):
    """Open a page in its own browser context (own cookies), as another person would."""
    contexts = []

    def open_page(width: int = 1280, height: int = 860):
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": width, "height": height}
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def screenshot(page, name: str) -> Path:
    """Save a screenshot of the page (for the README with UPDATE_SCREENSHOTS=1)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page, username: str, password: str) -> None:
    """Sign in through the portal's own sign-in form."""
    page.goto("/accounts/login/")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class OpenIDProvider:
    """`node tests/oidc_provider/server.js` on a free port: a real OpenID Connect provider."""

    def __init__(
        self, *, clients: list[dict], users: list[dict], log_path: Path
    ) -> None:
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.clients = clients
        self.users = users
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> None:
        if not (PROVIDER_DIR / "node_modules" / "oidc-provider").exists():
            subprocess.run(
                ["npm", "ci", "--no-audit", "--no-fund"], cwd=PROVIDER_DIR, check=True
            )
        env = dict(
            os.environ,
            PORT=str(self.port),
            OIDC_CLIENTS=json.dumps(self.clients),
            OIDC_USERS=json.dumps(self.users),
        )
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                ["node", "server.js"],
                cwd=PROVIDER_DIR,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"OpenID provider exited:\n{self.log_path.read_text()}"
                )
            try:
                httpx.get(
                    f"{self.issuer}/.well-known/openid-configuration", timeout=1.0
                )
            except httpx.TransportError:
                time.sleep(0.2)
            else:
                return
        self.stop()
        raise RuntimeError(
            f"OpenID provider not ready in {timeout}s:\n{self.log_path.read_text()}"
        )

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def portal_settings(self, client: dict) -> dict[str, object]:
        """The mozilla-django-oidc settings that point the portal at this provider."""
        discovery = httpx.get(f"{self.issuer}/.well-known/openid-configuration").json()
        return {
            "OIDC_ENABLED": True,
            "OIDC_RP_CLIENT_ID": client["client_id"],
            "OIDC_RP_CLIENT_SECRET": client["client_secret"],
            "OIDC_OP_ISSUER": self.issuer,
            "OIDC_OP_AUTHORIZATION_ENDPOINT": discovery["authorization_endpoint"],
            "OIDC_OP_TOKEN_ENDPOINT": discovery["token_endpoint"],
            "OIDC_OP_USER_ENDPOINT": discovery["userinfo_endpoint"],
            "OIDC_OP_JWKS_ENDPOINT": discovery["jwks_uri"],
            "OIDC_RP_SIGN_ALGO": "RS256",
        }
