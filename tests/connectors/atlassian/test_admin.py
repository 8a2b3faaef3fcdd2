"""Organizations API client requests pinned to the reference (§3)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connectors.atlassian.admin import AdminClient
from connectors.base import ApiFamily, FeatureNotEnabled, Forbidden, Invalid, NotFound
from tests.connectors.atlassian.conftest import (
    ORG_KEY,
    Recorder,
    make_api,
    query,
    reply,
    routes,
    script,
)

V1 = "/admin/v1/orgs/org-0001"
V2 = "/admin/v2/orgs/org-0001"
DIR = f"{V2}/directories/dir-0001"


def client(handler):
    recorder = Recorder(handler)
    return AdminClient(make_api(ApiFamily.ADMIN, recorder), "org-0001"), recorder


def admin_error(status, detail, code="ERR"):
    return reply(
        status,
        {
            "errors": [
                {
                    "id": "e",
                    "status": str(status),
                    "code": code,
                    "title": "T",
                    "detail": detail,
                }
            ]
        },
    )


def test_get_org_with_bearer_org_key():
    admin, recorder = client(
        script(
            reply(
                200,
                {
                    "data": {
                        "id": "org-0001",
                        "type": "orgs",
                        "attributes": {"name": "Acme"},
                    }
                },
            )
        )
    )

    org = admin.get_org()

    assert org.name == "Acme"
    assert (recorder.last.method, recorder.last.url.path) == ("GET", V1)
    assert recorder.last.headers["Authorization"] == f"Bearer {ORG_KEY}"


def test_list_org_users_follows_the_cursor():
    users = [
        {
            "account_id": "a1",
            "account_type": "atlassian",
            "account_status": "active",
            "name": "A",
            "email": "a@acme.example",
            "last_active": "2024-05-01T10:00:00Z",
        }
    ]
    admin, recorder = client(
        script(
            reply(200, {"data": users, "links": {"next": "C2"}}),
            reply(200, {"data": [], "links": {}}),
        )
    )

    found = list(admin.list_org_users())

    assert found[0].last_active.year == 2024
    assert recorder.requests[0].url.path == f"{V1}/users"
    assert query(recorder.requests[1]) == [("cursor", "C2")]


@pytest.mark.parametrize(
    ("given", "read"),
    [
        ("2024-05-01", datetime(2024, 5, 1, tzinfo=UTC)),
        ("2024-05-01T10:00:00Z", datetime(2024, 5, 1, 10, tzinfo=UTC)),
        ("2024-05-01T12:00:00.000+0200", datetime(2024, 5, 1, 10, tzinfo=UTC)),
        ("", None),
        (None, None),
    ],
)
def test_an_org_user_last_active_date_is_read_in_utc(given, read):
    user = {"account_id": "a1", "email": "a@acme.example", "last_active": given}
    admin, _ = client(script(reply(200, {"data": [user], "links": {}})))

    (found,) = admin.list_org_users()

    assert found.last_active == read
    assert found.last_active is None or found.last_active.utcoffset() is not None


def test_list_directories():
    admin, recorder = client(
        script(
            reply(
                200,
                {"data": [{"directoryId": "dir-0001", "name": "Acme"}], "links": {}},
            )
        )
    )

    assert [d.id for d in admin.list_directories()] == ["dir-0001"]
    assert recorder.last.url.path == f"{V2}/directories"


def test_search_directory_users_posts_the_filters():
    admin, recorder = client(
        script(
            reply(
                200,
                {"data": [{"accountId": "a1", "email": "a@acme.example"}], "links": {}},
            )
        )
    )

    list(admin.search_directory_users("dir-0001", emails=["a@acme.example"]))

    assert (recorder.last.method, recorder.last.url.path) == (
        "POST",
        f"{DIR}/users/search",
    )
    assert recorder.body() == {"emails": ["a@acme.example"]}


def test_get_directory_user():
    admin, recorder = client(
        script(
            reply(200, {"data": {"accountId": "a1", "membershipStatus": "suspended"}})
        )
    )

    user = admin.get_directory_user("dir-0001", "a1")

    assert user.membership_status == "suspended"
    assert recorder.last.url.path == f"{DIR}/users/a1"


@pytest.mark.parametrize(
    ("method_name", "suffix"),
    [("suspend_user", "suspend"), ("restore_user", "restore")],
)
def test_suspend_and_restore_post_to_the_v2_user(method_name, suffix):
    admin, recorder = client(script(reply(204)))

    assert getattr(admin, method_name)("dir-0001", "a1") is True
    assert (recorder.last.method, recorder.last.url.path) == (
        "POST",
        f"{DIR}/users/a1/{suffix}",
    )
    assert recorder.last.content == b""


def test_suspending_a_suspended_user_is_already_done():
    admin, _ = client(script(admin_error(400, "User is already suspended")))

    assert admin.suspend_user("dir-0001", "a1") is False


def test_remove_user_deletes_from_the_directory_and_tolerates_absence():
    admin, recorder = client(script(reply(204), admin_error(404, "User not found")))

    assert admin.remove_user("dir-0001", "a1") is True
    assert admin.remove_user("dir-0001", "a1") is False
    assert (recorder.last.method, recorder.last.url.path) == (
        "DELETE",
        f"{DIR}/users/a1",
    )


def test_search_groups_posts_ids_and_names():
    group = {"id": "g1", "name": "eng", "externalSynced": True, "managedBy": "external"}
    admin, recorder = client(script(reply(200, {"data": [group], "links": {}})))

    found = list(admin.search_groups("dir-0001", group_ids=["g1"], group_names=["eng"]))

    assert found[0].is_managed_externally
    assert (recorder.last.method, recorder.last.url.path) == (
        "POST",
        f"{DIR}/groups/search",
    )
    assert recorder.body() == {"groupIds": ["g1"], "groupNames": ["eng"]}


def test_get_create_delete_group():
    admin, recorder = client(
        routes(
            {
                f"GET {DIR}/groups/g1": reply(
                    200, {"data": {"id": "g1", "name": "eng"}}
                ),
                f"POST {DIR}/groups": reply(
                    201, {"id": "g2", "name": "new", "description": "d"}
                ),
                f"DELETE {DIR}/groups/g2": reply(204),
            }
        )
    )

    assert admin.get_group("dir-0001", "g1").name == "eng"
    assert admin.create_group("dir-0001", "new", "d").id == "g2"
    create = recorder.last
    assert admin.delete_group("dir-0001", "g2") is True

    assert recorder.body(1) == {"name": "new", "description": "d"}
    assert create.method == "POST"


def test_group_description_cannot_be_changed_through_the_api():
    admin, recorder = client(script(reply(200, {})))

    with pytest.raises(Invalid, match=r"admin\.atlassian\.com"):
        admin.update_group_description("g1", "new text")

    assert recorder.requests == []


def test_add_and_remove_group_member_v2_uses_camel_case_account_id():
    admin, recorder = client(
        routes(
            {
                f"POST {DIR}/groups/g1/memberships": reply(200, {}),
                f"DELETE {DIR}/groups/g1/memberships/a1": reply(204),
            }
        )
    )

    assert admin.add_group_member("dir-0001", "g1", "a1") is True
    assert recorder.body() == {"accountId": "a1"}
    assert admin.remove_group_member("dir-0001", "g1", "a1") is True


def test_assign_product_role_posts_role_and_resource():
    admin, recorder = client(script(reply(200, {})))

    assert admin.assign_role("a1", "atlassian/user", "ari:cloud:jira::site/c1") is True
    assert (recorder.last.method, recorder.last.url.path) == (
        "POST",
        f"{V1}/users/a1/roles/assign",
    )
    assert recorder.body() == {
        "role": "atlassian/user",
        "resource": "ari:cloud:jira::site/c1",
    }


def test_revoke_product_role():
    admin, recorder = client(script(reply(204)))

    admin.revoke_role("a1", "atlassian/admin", "ws-1")

    assert recorder.last.url.path == f"{V1}/users/a1/roles/revoke"


def test_org_level_role_uses_role_assignments():
    admin, recorder = client(script(reply(204)))

    admin.assign_role("a1", "atlassian/org-admin", None)

    assert recorder.last.url.path == f"{V1}/users/a1/role-assignments/assign"
    assert recorder.body() == {"role": "atlassian/org-admin"}


def test_role_endpoint_not_enabled_says_what_the_admin_must_do():
    admin, _ = client(
        script(admin_error(403, "This API is not enabled for your organization"))
    )

    with pytest.raises(
        FeatureNotEnabled, match="ask Atlassian support to enable it"
    ) as caught:
        admin.assign_role("a1", "atlassian/user", "ws-1")

    assert "not enabled for your organization" in caught.value.message
    assert caught.value.status == 403


def test_role_for_an_unknown_user_is_not_found_not_feature_not_enabled():
    admin, _ = client(script(admin_error(404, "User a9 not found")))

    with pytest.raises(NotFound) as caught:
        admin.assign_role("a9", "atlassian/user", "ws-1")

    assert not isinstance(caught.value, FeatureNotEnabled)


def test_list_workspaces_posts_a_paged_query():
    ws = {
        "id": "ws-1",
        "type": "workspaces",
        "attributes": {
            "name": "acme",
            "typeKey": "jira",
            "hostUrl": "https://acme.atlassian.net",
        },
    }
    admin, recorder = client(script(reply(200, {"data": [ws], "links": {}})))

    found = list(admin.list_workspaces())

    assert found[0].attributes.host_url == "https://acme.atlassian.net"
    assert (recorder.last.method, recorder.last.url.path) == (
        "POST",
        f"{V2}/workspaces",
    )
    assert recorder.body() == {"limit": 100}


def test_list_user_role_assignments():
    admin, recorder = client(
        script(
            reply(
                200,
                {
                    "data": [{"roleId": "atlassian/user", "resourceId": "ws-1"}],
                    "links": {},
                },
            )
        )
    )

    found = list(admin.list_user_role_assignments("dir-0001", "a1"))

    assert (found[0].role, found[0].resource) == ("atlassian/user", "ws-1")
    assert recorder.last.url.path == f"{DIR}/users/a1/role-assignments"


def test_invite_posts_emails_rules_and_groups():
    admin, recorder = client(
        script(reply(200, {"data": [{"email": "n@acme.example", "status": "invited"}]}))
    )

    results = admin.invite_users(
        ["n@acme.example"],
        permission_rules=[("ws-1", "atlassian/user")],
        group_ids=["g1"],
    )

    assert results[0].status == "invited"
    assert (recorder.last.method, recorder.last.url.path) == (
        "POST",
        f"{V2}/users/invite",
    )
    assert recorder.body() == {
        "emails": ["n@acme.example"],
        "permissionRules": [{"resource": "ws-1", "role": "atlassian/user"}],
        "additionalGroups": ["g1"],
        "sendNotification": True,
    }


def test_invite_not_enabled_is_feature_not_enabled():
    admin, _ = client(script(admin_error(403, "Forbidden")))

    with pytest.raises(FeatureNotEnabled):
        admin.invite_users(["n@acme.example"])


def test_plain_forbidden_outside_feature_endpoints_stays_forbidden():
    admin, _ = client(script(admin_error(403, "scope missing")))

    with pytest.raises(Forbidden) as caught:
        admin.get_group("dir-0001", "g1")

    assert not isinstance(caught.value, FeatureNotEnabled)
