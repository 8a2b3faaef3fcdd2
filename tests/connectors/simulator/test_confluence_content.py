"""Confluence content: pages, blog posts, comments, attachments, archive, restrictions, export."""

from __future__ import annotations

import io
import zipfile

import httpx
import pytest

from connectors.simulator import Simulator
from tests.connectors.simulator.conftest import ALICE, account, group_id

BODY = {"representation": "storage", "value": "<p>x</p>"}


def space(sim: Simulator, key: str = "ENG") -> str:
    """The v2 space id."""
    return str(sim.state.space_by_key[key].id)


def page(
    wiki: httpx.Client, sim: Simulator, title: str = "Runbook"
) -> dict[str, object]:
    """Create a page in ENG."""
    response = wiki.post(
        "/api/v2/pages",
        json={"spaceId": space(sim), "status": "current", "title": title, "body": BODY},
    )
    assert response.status_code == 200
    return response.json()


def test_create_and_get_page_with_body(sim: Simulator, wiki: httpx.Client) -> None:
    created = page(wiki, sim)

    fetched = wiki.get(
        f"/api/v2/pages/{created['id']}", params={"body-format": "storage"}
    ).json()

    assert fetched["body"]["storage"]["value"] == "<p>x</p>"
    assert fetched["version"]["number"] == 1
    assert fetched["parentId"] == str(sim.state.space_by_key["ENG"].homepage_id)


def test_duplicate_title_in_space_is_400(sim: Simulator, wiki: httpx.Client) -> None:
    page(wiki, sim)

    response = wiki.post(
        "/api/v2/pages", json={"spaceId": space(sim), "title": "Runbook", "body": BODY}
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["status"] == 400


@pytest.mark.parametrize(
    "body",
    [
        {"title": "x"},
        {"spaceId": "1", "title": "x"},
        {"spaceId": "98304", "title": "x", "colour": "red"},
        {
            "spaceId": "98304",
            "title": "x",
            "body": {"representation": "html", "value": ""},
        },
    ],
)
def test_page_create_validation(wiki: httpx.Client, body: dict[str, object]) -> None:
    assert wiki.post("/api/v2/pages", json=body).status_code == 400


def test_update_needs_the_next_version(sim: Simulator, wiki: httpx.Client) -> None:
    created = page(wiki, sim)
    body = {
        "id": created["id"],
        "status": "current",
        "title": "Runbook v2",
        "body": BODY,
        "version": {"number": 2},
    }

    updated = wiki.put(f"/api/v2/pages/{created['id']}", json=body)
    stale = wiki.put(f"/api/v2/pages/{created['id']}", json=body)

    assert updated.json()["version"]["number"] == 2
    assert stale.status_code == 409
    assert "Current version is: 2" in stale.json()["errors"][0]["title"]


def test_delete_trashes_then_purges(sim: Simulator, wiki: httpx.Client) -> None:
    ident = page(wiki, sim)["id"]

    early_purge = wiki.delete(f"/api/v2/pages/{ident}", params={"purge": "true"})
    trashed = wiki.delete(f"/api/v2/pages/{ident}")
    status = wiki.get(f"/api/v2/pages/{ident}").json()["status"]
    purged = wiki.delete(f"/api/v2/pages/{ident}", params={"purge": "true"})

    assert (early_purge.status_code, trashed.status_code, purged.status_code) == (
        400,
        204,
        204,
    )
    assert status == "trashed"
    assert wiki.get(f"/api/v2/pages/{ident}").status_code == 404


def test_blogpost_create_and_delete(sim: Simulator, wiki: httpx.Client) -> None:
    created = wiki.post(
        "/api/v2/blogposts", json={"spaceId": space(sim), "title": "News", "body": BODY}
    )

    assert created.status_code == 200
    assert wiki.get(f"/api/v2/blogposts/{created.json()['id']}").status_code == 200
    assert wiki.delete(f"/api/v2/blogposts/{created.json()['id']}").status_code == 204


def test_footer_comment(sim: Simulator, wiki: httpx.Client) -> None:
    ident = page(wiki, sim)["id"]

    created = wiki.post("/api/v2/footer-comments", json={"pageId": ident, "body": BODY})
    both = wiki.post(
        "/api/v2/footer-comments",
        json={"pageId": ident, "blogPostId": "1", "body": BODY},
    )

    assert created.status_code == 201
    assert created.json()["pageId"] == ident
    assert both.status_code == 400
    assert (
        wiki.delete(f"/api/v2/footer-comments/{created.json()['id']}").status_code
        == 204
    )


def upload(
    wiki: httpx.Client, ident: object, *, token: bool = True, name: str = "notes.txt"
) -> httpx.Response:
    """v1 multipart upload."""
    headers = {"X-Atlassian-Token": "no-check"} if token else {}
    return wiki.post(
        f"/rest/api/content/{ident}/child/attachment",
        headers=headers,
        files={"file": (name, b"hello", "text/plain")},
        data={"comment": "c"},
    )


def test_attachment_upload_list_delete(sim: Simulator, wiki: httpx.Client) -> None:
    ident = page(wiki, sim)["id"]

    uploaded = upload(wiki, ident)
    listed = wiki.get(f"/api/v2/pages/{ident}/attachments").json()["results"]
    deleted = wiki.delete(f"/api/v2/attachments/{listed[0]['id']}")

    assert uploaded.status_code == 200
    assert uploaded.json()["results"][0]["extensions"]["fileSize"] == 5
    assert [a["title"] for a in listed] == ["notes.txt"]
    assert deleted.status_code == 204
    assert wiki.get(f"/api/v2/pages/{ident}/attachments").json()["results"] == []


def test_upload_needs_the_xsrf_header(sim: Simulator, wiki: httpx.Client) -> None:
    response = upload(wiki, page(wiki, sim)["id"], token=False)

    assert response.status_code == 403
    assert response.json()["message"] == "XSRF check failed"


def test_upload_same_name_twice_is_400(sim: Simulator, wiki: httpx.Client) -> None:
    ident = page(wiki, sim)["id"]
    upload(wiki, ident)

    assert upload(wiki, ident).status_code == 400


def test_archive_is_one_long_task_at_a_time(sim: Simulator, wiki: httpx.Client) -> None:
    first, second = page(wiki, sim, "A")["id"], page(wiki, sim, "B")["id"]

    started = wiki.post(
        "/rest/api/content/archive", json={"pages": [{"id": int(first)}]}
    )
    busy = wiki.post("/rest/api/content/archive", json={"pages": [{"id": int(second)}]})
    for _ in range(2):
        wiki.get(started.json()["links"]["status"].removeprefix("/wiki"))
    later = wiki.post(
        "/rest/api/content/archive", json={"pages": [{"id": int(second)}]}
    )

    assert started.status_code == 202
    assert busy.status_code == 400
    assert later.status_code == 202
    assert wiki.get(f"/api/v2/pages/{first}").json()["status"] == "archived"


def test_archive_limit_is_300(wiki: httpx.Client) -> None:
    response = wiki.post(
        "/rest/api/content/archive", json={"pages": [{"id": i} for i in range(301)]}
    )

    assert response.status_code == 400


def restriction(
    operation: str, users: list[str] = (), groups: list[str] = ()
) -> dict[str, object]:  # type: ignore[assignment]
    """One restriction item."""
    return {
        "operation": operation,
        "restrictions": {
            "user": [{"type": "known", "accountId": u} for u in users],
            "group": [{"type": "group", "id": g} for g in groups],
        },
    }


def test_restrictions_add_replace_delete(sim: Simulator, wiki: httpx.Client) -> None:
    ident = page(wiki, sim)["id"]
    alice, design = account(sim, ALICE), group_id(sim, "design")

    added = wiki.post(
        f"/rest/api/content/{ident}/restriction", json=[restriction("read", [alice])]
    ).json()
    replaced = wiki.put(
        f"/rest/api/content/{ident}/restriction",
        json={"results": [restriction("read", [], [design])]},
    ).json()
    cleared = wiki.delete(f"/rest/api/content/{ident}/restriction").json()

    read = next(r for r in added["results"] if r["operation"] == "read")
    assert read["restrictions"]["user"]["results"][0]["accountId"] == alice
    read = next(r for r in replaced["results"] if r["operation"] == "read")
    assert read["restrictions"]["user"]["size"] == 0
    assert read["restrictions"]["group"]["results"][0]["id"] == design
    assert all(r["restrictions"]["group"]["size"] == 0 for r in cleared["results"])


def test_restriction_by_operation_per_principal(
    sim: Simulator, wiki: httpx.Client
) -> None:
    ident = page(wiki, sim)["id"]
    alice, design = account(sim, ALICE), group_id(sim, "design")
    user_path = f"/rest/api/content/{ident}/restriction/byOperation/update/user"
    group_path = (
        f"/rest/api/content/{ident}/restriction/byOperation/read/byGroupId/{design}"
    )

    assert wiki.get(user_path, params={"accountId": alice}).status_code == 404
    assert wiki.put(user_path, params={"accountId": alice}).status_code == 200
    assert wiki.get(user_path, params={"accountId": alice}).status_code == 200
    assert wiki.put(group_path).status_code == 200
    assert (
        wiki.get(f"/rest/api/content/{ident}/restriction/byOperation/read").json()[
            "restrictions"
        ]["group"]["size"]
        == 1
    )
    assert wiki.delete(group_path).status_code == 200
    assert wiki.delete(group_path).status_code == 404
    assert (
        wiki.put(
            f"/rest/api/content/{ident}/restriction/byOperation/fly/user",
            params={"accountId": alice},
        ).status_code
        == 400
    )


def test_bad_restriction_body(sim: Simulator, wiki: httpx.Client) -> None:
    ident = page(wiki, sim)["id"]

    assert (
        wiki.post(
            f"/rest/api/content/{ident}/restriction", json=[{"operation": "fly"}]
        ).status_code
        == 400
    )
    assert (
        wiki.post(
            f"/rest/api/content/{ident}/restriction",
            json=[restriction("read", ["ghost"])],
        ).status_code
        == 400
    )


def test_space_export_is_a_pollable_task_with_a_download(wiki: httpx.Client) -> None:
    started = wiki.post("/rest/api/space/ENG/export", json={"format": "html"})
    status = started.json()["links"]["status"].removeprefix("/wiki")
    first = wiki.get(status).json()
    done = wiki.get(status).json()

    assert started.status_code == 202
    assert "additionalDetails" not in first
    link = done["additionalDetails"]["downloadLink"]
    archive = zipfile.ZipFile(io.BytesIO(wiki.get(link.removeprefix("/wiki")).content))
    assert any(name.startswith("ENG/") for name in archive.namelist())


def test_restriction_reads_and_user_delete(sim: Simulator, wiki: httpx.Client) -> None:
    ident = page(wiki, sim)["id"]
    alice, design = account(sim, ALICE), group_id(sim, "design")
    base = f"/rest/api/content/{ident}/restriction/byOperation"
    wiki.put(f"{base}/read/user", params={"accountId": alice})
    wiki.put(f"{base}/read/byGroupId/{design}")

    listed = wiki.get(f"/rest/api/content/{ident}/restriction").json()
    group_held = wiki.get(f"{base}/read/byGroupId/{design}")
    removed = wiki.delete(f"{base}/read/user", params={"accountId": alice})

    assert {r["operation"] for r in listed["results"]} == {"read", "update"}
    assert group_held.status_code == 200
    assert removed.status_code == 200
    assert wiki.get(f"{base}/read/user", params={"accountId": alice}).status_code == 404
    assert wiki.get("/rest/api/content/1/restriction").status_code == 404


def test_space_pages_are_listed_once_each_across_cursor_pages(
    sim: Simulator, wiki: httpx.Client
) -> None:
    created = {page(wiki, sim, title=f"Note {n}")["id"] for n in range(7)}
    seen: list[str] = []
    url: str | None = f"/api/v2/spaces/{space(sim)}/pages?limit=3"

    while url:
        response = wiki.get(url)
        assert response.status_code == 200
        seen += [item["id"] for item in response.json()["results"]]
        url = response.json()["_links"].get("next", "").removeprefix("/wiki") or None

    assert created <= set(seen)
    assert len(seen) == len(set(seen))


def test_space_pages_leave_out_trashed_pages(
    sim: Simulator, wiki: httpx.Client
) -> None:
    doomed = page(wiki, sim, title="Old")
    wiki.delete(f"/api/v2/pages/{doomed['id']}")

    titles = [
        item["title"]
        for item in wiki.get(f"/api/v2/spaces/{space(sim)}/pages?limit=250").json()[
            "results"
        ]
    ]

    assert "Old" not in titles


def test_space_blogposts_are_found_by_exact_title(
    sim: Simulator, wiki: httpx.Client
) -> None:
    for title in ("News", "News 2"):
        wiki.post(
            "/api/v2/blogposts",
            json={"spaceId": space(sim), "title": title, "body": BODY},
        )
    page(wiki, sim, title="News")  # a page of the same title is not a blog post

    found = wiki.get(
        f"/api/v2/spaces/{space(sim)}/blogposts", params={"title": "News"}
    ).json()["results"]
    every = wiki.get(f"/api/v2/spaces/{space(sim)}/blogposts?limit=1")

    assert [item["title"] for item in found] == ["News"]
    assert len(every.json()["results"]) == 1
    assert "cursor=" in every.json()["_links"]["next"]
