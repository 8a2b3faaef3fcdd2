"""The transport policy: retries, backoff, rate-limit headers, caps, error mapping, logging."""

from __future__ import annotations

import base64
import logging
from datetime import timedelta
from email.utils import format_datetime

import httpx
import pytest

from connectors.atlassian.http import BackoffGate
from connectors.base import (
    ApiFamily,
    AuthenticationFailed,
    Conflict,
    Forbidden,
    Invalid,
    LicenceLimitReached,
    NotFound,
    PermanentError,
    RateLimited,
    Unavailable,
)
from tests.connectors.atlassian.conftest import (
    ADMIN_EMAIL,
    API_TOKEN,
    DIRECTORY_KEY,
    EPOCH,
    SECRETS,
    Recorder,
    make_api,
    reply,
    script,
)

OK = reply(200, {"ok": True})


def test_429_with_retry_after_waits_that_long_then_succeeds(fake_clock):
    recorder = Recorder(script(reply(429, {}, {"Retry-After": "7"}), OK))
    api = make_api(ApiFamily.JIRA, recorder, fake_clock.policy())

    body = api.request("GET", "/rest/api/3/group/bulk")

    assert body == {"ok": True}
    assert len(recorder.requests) == 2
    assert len(fake_clock.sleeps) == 1
    assert 7.0 <= fake_clock.sleeps[0] <= 8.0


def test_503_then_200_is_retried_after_a_jittered_backoff(fake_clock):
    recorder = Recorder(script(reply(503, {}), OK))
    api = make_api(ApiFamily.JIRA, recorder, fake_clock.policy(base_delay=2.0))

    body = api.request("GET", "/rest/api/3/role")

    assert body == {"ok": True}
    assert fake_clock.sleeps == [1.0]  # full jitter: random 0.5 x min(60, 2 x 2**0)


def test_backoff_grows_exponentially_and_is_capped(fake_clock):
    recorder = Recorder(script(reply(500, {})))
    policy = fake_clock.policy(
        base_delay=2.0,
        max_delay=10.0,
        max_attempts=6,
        max_retry_seconds=1000,
        random=lambda: 1.0,
    )
    api = make_api(ApiFamily.JIRA, recorder, policy)

    with pytest.raises(Unavailable):
        api.request("GET", "/rest/api/3/role")

    assert fake_clock.sleeps == [2.0, 4.0, 8.0, 10.0, 10.0]


def test_attempts_are_capped(fake_clock):
    recorder = Recorder(script(reply(503, {})))
    api = make_api(ApiFamily.SCIM, recorder, fake_clock.policy(max_attempts=4))

    with pytest.raises(Unavailable) as caught:
        api.request("GET", "/Users")

    assert len(recorder.requests) == 4
    assert caught.value.status == 503


def test_total_retry_seconds_are_capped(fake_clock):
    recorder = Recorder(script(reply(429, {}, {"Retry-After": "50"})))
    api = make_api(ApiFamily.ADMIN, recorder, fake_clock.policy(max_retry_seconds=120))

    with pytest.raises(RateLimited) as caught:
        api.request("GET", "/admin/v1/orgs/o/users")

    assert (
        len(recorder.requests) == 3
    )  # 0 s, ~50 s, ~100 s; the next wait would pass 120 s
    assert caught.value.retry_after == 50


def test_read_timeout_on_get_is_retried(fake_clock):
    recorder = Recorder(script(httpx.ReadTimeout("slow"), OK))
    api = make_api(ApiFamily.CONFLUENCE, recorder, fake_clock.policy())

    assert api.request("GET", "/wiki/api/v2/spaces") == {"ok": True}
    assert len(recorder.requests) == 2


def test_dropped_connection_on_get_is_retried(fake_clock):
    recorder = Recorder(script(httpx.RemoteProtocolError("Server disconnected"), OK))
    api = make_api(ApiFamily.CONFLUENCE, recorder, fake_clock.policy())

    assert api.request("GET", "/wiki/api/v2/spaces") == {"ok": True}
    assert len(recorder.requests) == 2


def test_timeouts_to_the_end_raise_unavailable(fake_clock):
    recorder = Recorder(script(httpx.ReadTimeout("slow")))
    api = make_api(ApiFamily.JIRA, recorder, fake_clock.policy(max_attempts=3))

    with pytest.raises(Unavailable, match="timed out"):
        api.request("GET", "/rest/api/3/role")

    assert len(recorder.requests) == 3


def test_unsafe_post_is_not_repeated_after_a_timeout(fake_clock):
    recorder = Recorder(script(httpx.ReadTimeout("slow"), OK))
    api = make_api(ApiFamily.JIRA, recorder, fake_clock.policy())

    with pytest.raises(Unavailable):
        api.request("POST", "/rest/api/3/issue", json={"fields": {}})

    assert len(recorder.requests) == 1


def test_unsafe_post_is_not_repeated_after_a_503(fake_clock):
    recorder = Recorder(script(reply(503, {}), OK))
    api = make_api(ApiFamily.JIRA, recorder, fake_clock.policy())

    with pytest.raises(Unavailable):
        api.request("POST", "/rest/api/3/issue", json={"fields": {}})

    assert len(recorder.requests) == 1


def test_post_is_repeated_after_429_because_it_was_not_processed(fake_clock):
    recorder = Recorder(
        script(reply(429, {}, {"Retry-After": "1"}), reply(201, {"id": "1"}))
    )
    api = make_api(ApiFamily.JIRA, recorder, fake_clock.policy())

    assert api.request("POST", "/rest/api/3/issue", json={}) == {"id": "1"}
    assert len(recorder.requests) == 2


def test_post_is_repeated_when_the_connection_was_never_made(fake_clock):
    recorder = Recorder(script(httpx.ConnectError("refused"), reply(201, {"id": "1"})))
    api = make_api(ApiFamily.JIRA, recorder, fake_clock.policy())

    assert api.request("POST", "/rest/api/3/issue", json={}) == {"id": "1"}


def test_safe_post_is_repeated_after_a_dropped_connection(fake_clock):
    recorder = Recorder(script(httpx.RemoteProtocolError("gone"), reply(201, {})))
    api = make_api(ApiFamily.JIRA, recorder, fake_clock.policy())

    api.request("POST", "/rest/api/3/group/user", json={}, retry_unsafe=True)

    assert len(recorder.requests) == 2


def test_malformed_json_is_retried_then_reported(fake_clock):
    bad = httpx.Response(200, content=b"<html>gateway</html>")
    recorder = Recorder(script(bad))
    api = make_api(ApiFamily.JIRA, recorder, fake_clock.policy(max_attempts=2))

    with pytest.raises(Unavailable, match="not JSON"):
        api.request("GET", "/rest/api/3/role")

    assert len(recorder.requests) == 2


def test_malformed_json_once_then_good_body_succeeds(fake_clock):
    recorder = Recorder(script(httpx.Response(200, content=b'{"trunc'), OK))
    api = make_api(ApiFamily.JIRA, recorder, fake_clock.policy())

    assert api.request("GET", "/rest/api/3/role") == {"ok": True}


def test_x_ratelimit_reset_is_honoured(fake_clock):
    reset = (EPOCH + timedelta(seconds=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    recorder = Recorder(script(reply(429, {}, {"X-RateLimit-Reset": reset}), OK))
    api = make_api(ApiFamily.ADMIN, recorder, fake_clock.policy())

    api.request("GET", "/admin/v1/orgs/o/users")

    assert 30.0 <= fake_clock.sleeps[0] <= 31.0


def test_beta_ratelimit_reset_is_honoured(fake_clock):
    headers = {"Beta-RateLimit": '"global-app-quota";r=0;t=12'}
    recorder = Recorder(script(reply(429, {}, headers), OK))
    api = make_api(ApiFamily.JIRA, recorder, fake_clock.policy())

    api.request("GET", "/rest/api/3/role")

    assert 12.0 <= fake_clock.sleeps[0] <= 13.0


def test_retry_after_as_http_date_is_honoured(fake_clock):
    headers = {
        "Retry-After": format_datetime(EPOCH + timedelta(seconds=20), usegmt=True)
    }
    recorder = Recorder(script(reply(503, {}, headers), OK))
    api = make_api(ApiFamily.JIRA, recorder, fake_clock.policy())

    api.request("GET", "/rest/api/3/role")

    assert 20.0 <= fake_clock.sleeps[0] <= 21.0


def test_a_429_holds_every_client_sharing_the_gate(fake_clock):
    policy = fake_clock.policy(max_attempts=1)
    gate = BackoffGate(policy)
    limited = make_api(
        ApiFamily.JIRA, Recorder(script(reply(429, {}, {"Retry-After": "5"}))), policy
    )
    other = make_api(ApiFamily.CONFLUENCE, Recorder(script(OK)), policy)
    limited.gate = other.gate = gate
    with pytest.raises(RateLimited):
        limited.request("GET", "/rest/api/3/role")

    other.request("GET", "/wiki/api/v2/spaces")

    assert len(fake_clock.sleeps) == 1
    assert fake_clock.sleeps[0] >= 5.0


@pytest.mark.parametrize(
    ("family", "status", "body", "error", "message", "code"),
    [
        (
            ApiFamily.SCIM,
            409,
            {
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
                "status": "409",
                "scimType": "uniqueness",
                "detail": "User already exists",
            },
            Conflict,
            "User already exists",
            "uniqueness",
        ),
        (
            ApiFamily.ADMIN,
            404,
            {
                "errors": [
                    {
                        "id": "x",
                        "status": "404",
                        "code": "ADMIN-404",
                        "title": "Not Found",
                        "detail": "User not found",
                    }
                ]
            },
            NotFound,
            "Not Found: User not found",
            "ADMIN-404",
        ),
        (
            ApiFamily.JIRA,
            400,
            {
                "errorMessages": ["Group name is in use"],
                "errors": {"name": "taken"},
                "status": 400,
            },
            Invalid,
            "Group name is in use; name: taken",
            None,
        ),
        (
            ApiFamily.CONFLUENCE,
            403,
            {
                "statusCode": 403,
                "data": {"authorized": False, "errors": []},
                "message": "Not permitted to edit space permissions",
                "reason": "Forbidden",
            },
            Forbidden,
            "Not permitted to edit space permissions",
            None,
        ),
        (
            ApiFamily.CONFLUENCE,
            404,
            {
                "errors": [
                    {
                        "status": 404,
                        "code": "NOT_FOUND",
                        "title": "Space not found",
                        "detail": None,
                    }
                ]
            },
            NotFound,
            "Space not found",
            "NOT_FOUND",
        ),
        (
            ApiFamily.JIRA,
            401,
            {"errorMessages": ["Unauthorized"]},
            AuthenticationFailed,
            "Unauthorized",
            None,
        ),
    ],
)
def test_error_bodies_keep_atlassians_message_and_code(
    family, status, body, error, message, code
):
    api = make_api(family, Recorder(script(reply(status, body))))

    with pytest.raises(error) as caught:
        api.request("GET", "/anything")

    assert caught.value.message == message
    assert caught.value.code == code
    assert caught.value.status == status
    assert caught.value.family == family.value


def test_licence_limit_is_not_mistaken_for_a_plain_conflict():
    body = {
        "errorMessages": ["Adding the user would exceed the number of licensed users"]
    }
    api = make_api(ApiFamily.JIRA, Recorder(script(reply(400, body))))

    with pytest.raises(LicenceLimitReached):
        api.request("POST", "/rest/api/3/group/user", json={})


def test_an_error_without_a_body_still_says_what_happened():
    api = make_api(ApiFamily.JIRA, Recorder(script(httpx.Response(404))))

    with pytest.raises(NotFound, match="404 Not Found"):
        api.request("GET", "/rest/api/3/project/NOPE")


def test_redirects_are_not_followed():
    recorder = Recorder(
        script(
            httpx.Response(302, headers={"Location": "https://id.atlassian.com/login"})
        )
    )
    api = make_api(ApiFamily.JIRA, recorder)

    with pytest.raises(
        PermanentError, match=r"redirect to https://id\.atlassian\.com/login"
    ):
        api.request("GET", "/rest/api/3/role")

    assert len(recorder.requests) == 1


def test_basic_auth_user_agent_and_accept_headers_are_sent():
    recorder = Recorder(script(OK))
    api = make_api(ApiFamily.JIRA, recorder)

    api.request("GET", "/rest/api/3/role")

    expected = base64.b64encode(f"{ADMIN_EMAIL}:{API_TOKEN}".encode()).decode()
    assert recorder.last.headers["Authorization"] == f"Basic {expected}"
    assert recorder.last.headers["Accept"] == "application/json"
    assert recorder.last.headers["User-Agent"].startswith("access-portal/")


def test_bearer_auth_is_sent_to_scim():
    recorder = Recorder(script(OK))
    api = make_api(ApiFamily.SCIM, recorder)

    api.request("GET", "/Users")

    assert recorder.last.headers["Authorization"] == f"Bearer {DIRECTORY_KEY}"
    assert (
        str(recorder.last.url)
        == "https://api.atlassian.com/scim/directory/dir-0001/Users"
    )


def test_timeouts_are_explicit():
    api = make_api(ApiFamily.JIRA, Recorder(script(OK)))

    timeout = api.http.timeout

    assert (timeout.connect, timeout.read) == (5.0, 30.0)


def test_logs_name_method_path_and_status_but_no_secret_query_or_body(
    caplog, fake_clock
):
    recorder = Recorder(script(reply(503, {"detail": "busy"}), OK))
    api = make_api(ApiFamily.JIRA, recorder, fake_clock.policy())
    caplog.set_level(logging.DEBUG, logger="connectors.atlassian")

    api.request(
        "GET",
        "/rest/api/3/user/search",
        params={"query": "alice.requester@acme.example"},
    )

    text = caplog.text
    assert "GET /rest/api/3/user/search" in text
    assert "200" in text
    assert "alice.requester" not in text
    assert "busy" not in text
    assert all(secret not in text for secret in SECRETS)
    assert "Basic" not in text


def test_reprs_hide_credentials():
    api = make_api(ApiFamily.SCIM, Recorder(script(OK)))

    text = repr(api) + repr(api.http.auth) + repr(api.http)

    assert all(secret not in text for secret in SECRETS)
