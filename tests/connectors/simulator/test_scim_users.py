"""SCIM /Users: list, filter, projection, create, PUT, PATCH, DELETE, discovery."""

from __future__ import annotations

import httpx
import pytest

from connectors.simulator import Simulator
from tests.connectors.simulator.conftest import ALICE, BOB, account

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
ATLASSIAN = "urn:scim:schemas:extension:atlassian-external:1.0"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def scim_id(sim: Simulator, email: str) -> str:
    """The SCIM id of a provisioned demo person."""
    user = sim.state.user_by_email(email)
    assert user is not None and user.scim is not None
    return user.scim.scim_id


def new_user(
    email: str = "new.hire@acme.example", **extra: object
) -> dict[str, object]:
    """A create body like the reference's example."""
    return {
        "schemas": [CORE, ENTERPRISE],
        "userName": email,
        "emails": [{"value": email, "type": "work", "primary": True}],
        "name": {"givenName": "New", "familyName": "Hire"},
        "displayName": "New Hire",
        "title": "Engineer",
        "timezone": "Europe/Berlin",
        "preferredLanguage": "en-US",
        "active": True,
        ENTERPRISE: {"department": "R&D", "organization": "Example Ltd"},
        **extra,
    }


def patch(*operations: dict[str, object]) -> dict[str, object]:
    """A PatchOp body."""
    return {"schemas": [PATCH], "Operations": list(operations)}


def test_list_is_a_list_response(scim: httpx.Client) -> None:
    body = scim.get("/Users", params={"count": 5}).json()

    assert set(body) == {
        "schemas",
        "totalResults",
        "startIndex",
        "itemsPerPage",
        "Resources",
    }
    assert body["itemsPerPage"] == 5
    assert body["totalResults"] > 40


def test_count_is_capped_at_100(sim: Simulator, scim: httpx.Client) -> None:
    sim.seed_large(users=150, groups=4, projects=0, spaces=0, memberships_per_user=2)

    body = scim.get("/Users", params={"count": 500}).json()

    assert body["itemsPerPage"] == 100


def test_filter_by_user_name(scim: httpx.Client) -> None:
    body = scim.get("/Users", params={"filter": f'userName eq "{ALICE}"'}).json()

    assert body["totalResults"] == 1
    assert body["Resources"][0]["userName"] == ALICE


def test_filter_by_external_id(scim: httpx.Client) -> None:
    body = scim.get(
        "/Users", params={"filter": 'externalId eq "okta-bob.manager"'}
    ).json()

    assert [r["userName"] for r in body["Resources"]] == [BOB]


def test_filter_without_match_is_empty(scim: httpx.Client) -> None:
    body = scim.get(
        "/Users", params={"filter": 'userName eq "nobody@acme.example"'}
    ).json()

    assert body["totalResults"] == 0
    assert body["Resources"] == []


@pytest.mark.parametrize(
    "expression",
    [
        'displayName eq "Alice Carter"',
        'userName co "alice"',
        'userName eq "a" and externalId eq "b"',
        "garbage",
    ],
)
def test_other_filters_are_invalid_filter(scim: httpx.Client, expression: str) -> None:
    response = scim.get("/Users", params={"filter": expression})

    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidFilter"


def test_attributes_projection(sim: Simulator, scim: httpx.Client) -> None:
    body = scim.get(
        f"/Users/{scim_id(sim, ALICE)}", params={"attributes": "userName,emails.value"}
    ).json()

    assert set(body) == {"schemas", "id", "userName", "emails"}
    assert body["emails"] == [{"value": ALICE}]


def test_excluded_attributes(sim: Simulator, scim: httpx.Client) -> None:
    body = scim.get(
        f"/Users/{scim_id(sim, ALICE)}", params={"excludedAttributes": "groups,name"}
    ).json()

    assert "groups" not in body
    assert "name" not in body
    assert body["userName"] == ALICE


def test_attributes_and_excluded_are_exclusive(scim: httpx.Client) -> None:
    response = scim.get(
        "/Users", params={"attributes": "userName", "excludedAttributes": "name"}
    )

    assert response.status_code == 400


def test_get_shows_account_id_and_enterprise_manager(
    sim: Simulator, scim: httpx.Client
) -> None:
    body = scim.get(f"/Users/{scim_id(sim, ALICE)}").json()

    assert body[ATLASSIAN] == {"atlassianAccountId": account(sim, ALICE)}
    assert body[ENTERPRISE]["department"] == "Engineering"
    assert body[ENTERPRISE]["manager"]["value"] == scim_id(sim, BOB)
    assert body[ENTERPRISE]["manager"]["displayName"] == "Bob Nguyen"
    assert body["meta"]["resourceType"] == "User"


def test_get_unknown_is_404(scim: httpx.Client) -> None:
    response = scim.get("/Users/does-not-exist")

    assert response.status_code == 404
    assert response.json()["status"] == "404"


def test_create_returns_201_with_stored_extension(
    sim: Simulator, scim: httpx.Client
) -> None:
    manager = {"value": scim_id(sim, BOB), "displayName": "Bob Nguyen"}
    body = new_user(
        **{
            ENTERPRISE: {
                "department": "R&D",
                "organization": "Example Ltd",
                "manager": manager,
            }
        }
    )

    response = scim.post("/Users", json=body)

    assert response.status_code == 201
    created = response.json()
    assert created[ENTERPRISE]["department"] == "R&D"
    assert created[ENTERPRISE]["organization"] == "Example Ltd"
    assert created[ENTERPRISE]["manager"]["value"] == manager["value"]
    assert created["department"] == "R&D"
    user = sim.state.user_by_email("new.hire@acme.example")
    assert (
        user is not None and created[ATLASSIAN]["atlassianAccountId"] == user.account_id
    )


def test_create_twice_is_409_uniqueness(scim: httpx.Client) -> None:
    scim.post("/Users", json=new_user())

    response = scim.post("/Users", json=new_user())

    assert response.status_code == 409
    assert response.json()["scimType"] == "uniqueness"
    assert response.json()["status"] == "409"


def test_create_on_unverified_domain_is_400(scim: httpx.Client) -> None:
    response = scim.post("/Users", json=new_user("someone@elsewhere.example"))

    assert response.status_code == 400
    assert "verified domain" in response.json()["detail"]


def test_create_links_an_existing_managed_account(
    sim: Simulator, scim: httpx.Client
) -> None:
    existing = account(sim, "hana.yilmaz@acme.example")  # invited, not provisioned yet

    created = scim.post("/Users", json=new_user("hana.yilmaz@acme.example")).json()

    assert created[ATLASSIAN]["atlassianAccountId"] == existing


@pytest.mark.parametrize(
    "change",
    [
        {"password": "x"},
        {"userName": ""},
        {"emails": "a@acme.example"},
        {"schemas": ["urn:wrong"]},
        {"active": "yes"},
    ],
)
def test_create_rejects_bad_shapes(
    scim: httpx.Client, change: dict[str, object]
) -> None:
    response = scim.post("/Users", json={**new_user(), **change})

    assert response.status_code == 400
    assert response.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]


def test_failed_create_leaves_no_account(sim: Simulator, scim: httpx.Client) -> None:
    scim.post("/Users", json={**new_user(), "active": "yes"})

    assert sim.state.user_by_email("new.hire@acme.example") is None


def test_put_clears_omitted_attributes(sim: Simulator, scim: httpx.Client) -> None:
    ident = scim_id(sim, ALICE)
    body = {
        "schemas": [CORE],
        "userName": ALICE,
        "emails": [{"value": ALICE, "primary": True}],
        "displayName": "Alice C.",
    }

    replaced = scim.put(f"/Users/{ident}", json=body).json()

    assert replaced["displayName"] == "Alice C."
    assert "title" not in replaced
    assert "externalId" not in replaced


def test_patch_active_false_deactivates_everywhere(
    sim: Simulator, scim: httpx.Client, jira: httpx.Client
) -> None:
    ident = scim_id(sim, ALICE)

    response = scim.patch(
        f"/Users/{ident}",
        json=patch({"op": "replace", "path": "active", "value": False}),
    )

    assert response.json()["active"] is False
    assert (
        jira.get("/user", params={"accountId": account(sim, ALICE)}).json()["active"]
        is False
    )


def test_patch_value_less_replace_with_object(
    sim: Simulator, scim: httpx.Client
) -> None:
    ident = scim_id(sim, ALICE)
    op = {
        "op": "Replace",
        "value": {"active": False, "title": "Staff Engineer", "name.givenName": "Ally"},
    }

    body = scim.patch(f"/Users/{ident}", json=patch(op)).json()

    assert (body["active"], body["title"], body["name"]["givenName"]) == (
        False,
        "Staff Engineer",
        "Ally",
    )


@pytest.mark.parametrize(
    ("path", "value", "read"),
    [
        ("name.familyName", "Carter-Jones", lambda b: b["name"]["familyName"]),
        ("displayName", "A. Carter", lambda b: b["displayName"]),
        ("nickName", "Ali", lambda b: b["nickName"]),
        ("userName", "alice.c@acme.example", lambda b: b["userName"]),
        (
            'emails[type eq "work"].value',
            "alice.c@acme.example",
            lambda b: b["emails"][0]["value"],
        ),
        (f"{ENTERPRISE}:department", "Platform", lambda b: b[ENTERPRISE]["department"]),
    ],
)
def test_patch_paths(
    sim: Simulator, scim: httpx.Client, path: str, value: str, read: object
) -> None:
    body = scim.patch(
        f"/Users/{scim_id(sim, ALICE)}",
        json=patch({"op": "replace", "path": path, "value": value}),
    ).json()

    assert read(body) == value  # type: ignore[operator]


def test_patch_remove_clears_an_attribute(sim: Simulator, scim: httpx.Client) -> None:
    body = scim.patch(
        f"/Users/{scim_id(sim, ALICE)}", json=patch({"op": "remove", "path": "title"})
    ).json()

    assert "title" not in body


@pytest.mark.parametrize(
    ("operation", "scim_type"),
    [
        ({"op": "replace", "path": "id", "value": "x"}, "mutability"),
        ({"op": "replace", "path": "favouriteColour", "value": "x"}, "invalidPath"),
        ({"op": "remove"}, "noTarget"),
        ({"op": "move", "path": "title", "value": "x"}, "invalidSyntax"),
        ({"op": "remove", "path": "active"}, "mutability"),
    ],
)
def test_patch_errors(
    sim: Simulator, scim: httpx.Client, operation: dict[str, object], scim_type: str
) -> None:
    response = scim.patch(f"/Users/{scim_id(sim, ALICE)}", json=patch(operation))

    assert response.status_code == 400
    assert response.json()["scimType"] == scim_type


def test_failed_patch_changes_nothing(sim: Simulator, scim: httpx.Client) -> None:
    ident = scim_id(sim, ALICE)
    ops = [
        {"op": "replace", "path": "title", "value": "Changed"},
        {"op": "replace", "path": "id", "value": "x"},
    ]

    scim.patch(f"/Users/{ident}", json=patch(*ops))

    assert scim.get(f"/Users/{ident}").json()["title"] == "Software Engineer"


def test_patch_user_name_taken_is_409(sim: Simulator, scim: httpx.Client) -> None:
    response = scim.patch(
        f"/Users/{scim_id(sim, ALICE)}",
        json=patch({"op": "replace", "path": "userName", "value": BOB}),
    )

    assert response.status_code == 409


def test_delete_removes_the_record_and_deactivates(
    sim: Simulator, scim: httpx.Client, jira: httpx.Client
) -> None:
    ident = scim_id(sim, ALICE)

    deleted = scim.delete(f"/Users/{ident}")

    assert deleted.status_code == 204
    assert scim.get(f"/Users/{ident}").status_code == 404
    assert (
        jira.get("/user", params={"accountId": account(sim, ALICE)}).json()["active"]
        is False
    )


def test_recreate_after_delete_gets_a_new_scim_id(
    sim: Simulator, scim: httpx.Client
) -> None:
    old = scim_id(sim, ALICE)
    scim.delete(f"/Users/{old}")

    created = scim.post("/Users", json=new_user(ALICE)).json()

    assert created["id"] != old
    assert created[ATLASSIAN]["atlassianAccountId"] == account(sim, ALICE)


def test_accepts_scim_json_content_type(scim: httpx.Client) -> None:
    response = scim.post(
        "/Users",
        content=httpx.Request("POST", "/", json=new_user()).content,
        headers={"Content-Type": "application/scim+json"},
    )

    assert response.status_code == 201


@pytest.mark.parametrize(
    "path",
    [
        "/ServiceProviderConfig",
        "/ResourceTypes",
        "/ResourceTypes/User",
        "/ResourceTypes/Group",
        "/Schemas",
        "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User",
        "/Schemas/urn:ietf:params:scim:schemas:core:2.0:Group",
        f"/Schemas/{ENTERPRISE}",
    ],
)
def test_discovery_documents(scim: httpx.Client, path: str) -> None:
    response = scim.get(path)

    assert response.status_code == 200
    assert response.json()["schemas"]


def test_service_provider_config_capabilities(scim: httpx.Client) -> None:
    body = scim.get("/ServiceProviderConfig").json()

    assert body["patch"]["supported"] is True
    assert body["filter"]["supported"] is True
    assert body["sort"]["supported"] is False
    assert body["bulk"]["supported"] is False


def test_unknown_schema_is_404(scim: httpx.Client) -> None:
    assert scim.get("/Schemas/urn:nope").status_code == 404
    assert scim.get("/ResourceTypes/Nope").status_code == 404
