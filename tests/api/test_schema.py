"""The OpenAPI schema: committed, current, served, with docs that need no CDN."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command

from tests.servers import PROJECT_DIR

COMMITTED = PROJECT_DIR / "docs" / "openapi.yaml"
REQUEST_STATES = [
    "pending",
    "approved",
    "denied",
    "cancelled",
    "expired",
    "provisioning",
    "active",
    "failed",
    "revoked",
    "ended",
]


def test_committed_schema_is_current(tmp_path: Path):
    generated = tmp_path / "openapi.yaml"

    call_command(
        "spectacular", file=str(generated), validate=True, stdout=io.StringIO()
    )

    assert generated.read_text() == COMMITTED.read_text(), (
        "docs/openapi.yaml is out of date: run `make schema` and commit it"
    )


def test_request_states_are_exactly_the_documented_ones():
    schema = yaml.safe_load(COMMITTED.read_text())

    assert schema["components"]["schemas"]["RequestStateEnum"]["enum"] == REQUEST_STATES


@pytest.mark.django_db
def test_schema_is_served_as_openapi_3(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi")

    schema = yaml.safe_load(response.content)
    assert response.status_code == 200
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/requests/{id}/approve/" in schema["paths"]


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["/api/docs/", "/api/redoc/"])
def test_docs_pages_load_their_assets_locally(client, page):
    response = client.get(page)

    html = response.content.decode()
    assert response.status_code == 200
    assert "drf_spectacular_sidecar" in html
    assert "cdn.jsdelivr" not in html
    assert "unpkg.com" not in html


@pytest.mark.django_db
def test_docs_asset_is_served(client):
    html = client.get("/api/docs/").content.decode()
    start = html.index("/static/drf_spectacular_sidecar/")
    asset = html[start : html.index('"', start)]

    response = client.get(asset)

    assert response.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/api/v1/nothing-here/", "/api/v1/requests/abc/", "/api/v1/ops/jobs/-5/"]
)
def test_unknown_api_address_is_a_json_404(admin_client, path):
    response = admin_client.get(path)

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
