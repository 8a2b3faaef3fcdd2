"""The audit trail over the API: filters and the streamed CSV export."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from approvals import audit
from approvals.models import AuditEvent

pytestmark = pytest.mark.django_db

URL = "/api/v1/audit-events/"


@pytest.fixture
def story(requester, manager, client_for, design_group):
    """A request submitted and approved: several audit events."""
    made = client_for(requester).post(
        "/api/v1/requests/",
        {"entitlement": design_group.pk, "justification": "Design work"},
        format="json",
    )
    request_id = made.json()["id"]
    client_for(manager).post(
        f"/api/v1/requests/{request_id}/approve/", {}, format="json"
    )
    return request_id


def rows_of(response) -> list[dict]:
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_only_admins_read_the_audit_trail(requester, client_for, story):
    assert client_for(requester).get(URL).status_code == 403


def test_filter_by_request_gives_its_story_newest_first(admin, client_for, story):
    body = client_for(admin).get(URL, {"request": story}).json()

    actions = [e["action"] for e in body["results"]]
    assert actions[-1] == "request.submitted"
    assert "request.approved" in actions
    assert {e["request"] for e in body["results"]} == {story}


def test_filter_by_action_list_and_prefix(admin, client_for, story):
    client = client_for(admin)

    exact = client.get(URL, {"action": "request.submitted,request.approved"}).json()
    prefix = client.get(URL, {"action": "request.*"}).json()

    assert {e["action"] for e in exact["results"]} == {
        "request.submitted",
        "request.approved",
    }
    assert all(e["action"].startswith("request.") for e in prefix["results"])
    assert prefix["count"] > exact["count"]


def test_filter_by_actor_id_or_username(admin, manager, client_for, story):
    client = client_for(admin)

    by_id = client.get(URL, {"actor": manager.pk}).json()
    by_name = client.get(URL, {"actor": "manager"}).json()

    assert by_id["count"] == by_name["count"] > 0
    assert {e["actor"] for e in by_id["results"]} == {manager.pk}


def test_filter_by_target(admin, client_for, story):
    body = client_for(admin).get(URL, {"target": f"approvals.AccessRequest:{story}"})

    results = body.json()["results"]
    assert results
    assert {(e["target_type"], e["target_id"]) for e in results} == {
        ("approvals.AccessRequest", str(story))
    }


def test_filter_by_date_range(admin, client_for, story):
    client = client_for(admin)
    tomorrow = (timezone.now() + timedelta(days=1)).isoformat()

    none_yet = client.get(URL, {"since": tomorrow}).json()
    until_tomorrow = client.get(URL, {"until": tomorrow}).json()

    assert none_yet["count"] == 0
    assert until_tomorrow["count"] == AuditEvent.objects.count()


def test_bad_date_is_a_400(admin, client_for, catalog):
    response = client_for(admin).get(URL, {"since": "last tuesday"})

    assert response.status_code == 400
    assert "since" in response.json()


def test_csv_export_streams_every_matching_event(admin, client_for, story):
    response = client_for(admin).get(URL, {"format": "csv", "request": story})

    rows = rows_of(response)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert len(rows) == AuditEvent.objects.filter(request_id=story).count()
    assert {row["request_id"] for row in rows} == {str(story)}
    assert rows[-1]["action"] == "request.submitted"


def test_export_endpoint_gives_the_same_csv(admin, client_for, story):
    client = client_for(admin)

    by_format = rows_of(client.get(URL, {"format": "csv"}))
    by_export = rows_of(client.get(f"{URL}export/"))

    assert by_format == by_export


def test_csv_neutralises_spreadsheet_formulas(admin, client_for, catalog):
    audit.record(
        "note.added",
        target=admin,
        actor=admin,
        message='=HYPERLINK("http://evil.example","click")',
    )

    rows = rows_of(client_for(admin).get(f"{URL}export/", {"action": "note.added"}))

    assert rows[0]["message"].startswith("'=HYPERLINK")


def test_audit_events_cannot_be_changed_through_the_api(admin, client_for, story):
    event = AuditEvent.objects.first()
    client = client_for(admin)

    statuses = {
        client.put(f"{URL}{event.pk}/", {}, format="json").status_code,
        client.patch(f"{URL}{event.pk}/", {}, format="json").status_code,
        client.delete(f"{URL}{event.pk}/").status_code,
        client.post(URL, {}, format="json").status_code,
    }

    assert statuses == {405}


@pytest.mark.parametrize(
    ("moment", "status"),
    [
        ("0935-12-09T11:01:24-22:30", 200),  # an offset PostgreSQL would refuse
        ("0001-01-01T00:00:00+01:00", 400),  # before year 1 in UTC
    ],
)
def test_odd_moments_are_answered_not_crashed_on(
    admin, client_for, catalog, moment, status
):
    response = client_for(admin).get(URL, {"since": moment})

    assert response.status_code == status
