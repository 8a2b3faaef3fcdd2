"""Emails about requests and grants, through Django's email framework.

Who hears what: the approvers of the CURRENT step when a decision is needed (and again
as a reminder), the requester and beneficiary on a decision, on the provisioning result
and when access is removed; holders and owners before a grant expires. Workflow calls
`on_commit(...)` so that nothing is sent for a change that was rolled back; a mail
failure is logged and never undoes the change.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse

from accessportal.models import User
from approvals.models import AccessRequest, ApprovalStep, Grant

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

logger = logging.getLogger(__name__)


def on_commit(function: Callable[..., Any], *args: Any) -> None:
    """Send after the surrounding transaction commits; never raise into it."""

    def send() -> None:
        try:
            function(*args)
        except Exception:  # a mail server problem must not break the workflow
            logger.exception("Notification %s%r failed", function.__name__, args)

    transaction.on_commit(send)


# --- the messages -------------------------------------------------------------------


def decision_needed(step_id: int, recipient_ids: Iterable[int] | None = None) -> int:
    """Tell the current step's approvers (or the given ones) that a request waits."""
    step = _step(step_id)
    if step is None or step.state != "open":
        return 0
    people = step.approvers.filter(is_active=True)
    if recipient_ids is not None:
        people = people.filter(pk__in=list(recipient_ids))
    return _send_each(
        people, "decision_needed", _request_context(step.request, step=step)
    )


def approval_reminder(step_id: int) -> int:
    """Remind the current step's approvers who have not decided yet."""
    step = _step(step_id)
    if step is None or step.state != "open":
        return 0
    people = step.approvers.filter(is_active=True).exclude(
        pk__in=step.decisions.values("decided_by")
    )
    context = _request_context(step.request, step=step, reminder=True)
    return _send_each(people, "decision_needed", context)


def request_decided(request_id: int) -> int:
    """Tell the requester (and the beneficiary) how the request was decided."""
    access_request = _request(request_id)
    if access_request is None:
        return 0
    context = _request_context(access_request)
    return _send_each(_parties(access_request), "request_decided", context)


def provisioning_finished(grant_id: int) -> int:
    """Tell the requester and beneficiary that access is active, or that it failed."""
    grant = _grant(grant_id)
    if grant is None or grant.request is None:
        return 0
    context = _request_context(grant.request, grant=grant)
    return _send_each(_parties(grant.request), "provisioning_finished", context)


def access_removed(grant_id: int) -> int:
    """Tell the holder that access was removed (revoked or expired)."""
    grant = _grant(grant_id)
    if grant is None:
        return 0
    context = {"grant": grant, "link": _link("my_access", "/access/")}
    return _send_each([grant.beneficiary], "access_removed", context)


def grant_expiring(grant_id: int) -> int:
    """Warn the holder and the entitlement's owner that access ends soon."""
    from approvals.policies import entitlement_owner

    grant = _grant(grant_id)
    if grant is None or grant.ends_at is None:
        return 0
    people = [grant.beneficiary, entitlement_owner(grant.entitlement)]
    context = {"grant": grant, "link": _link("my_access", "/access/")}
    return _send_each(people, "grant_expiring", context)


# --- plumbing -----------------------------------------------------------------------


def _send_each(
    people: Iterable[User | None], template: str, context: dict[str, Any]
) -> int:
    """One email per person (never a shared To: list); returns how many were sent."""
    sent, seen = 0, set()
    for person in people:
        if person is None or not person.email or person.pk in seen:
            continue
        seen.add(person.pk)
        message = _render(template, {**context, "person": person})
        message.to = [person.email]
        sent += message.send()
    return sent


def _render(template: str, context: dict[str, Any]) -> EmailMultiAlternatives:
    base = f"approvals/email/{template}"
    context = {"site_url": settings.SITE_URL.rstrip("/"), **context}
    subject = render_to_string(f"{base}_subject.txt", context).strip()
    text = render_to_string(f"{base}.txt", context)
    html = render_to_string(f"{base}.html", context)
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()), body=text, from_email=None
    )
    message.attach_alternative(html, "text/html")
    return message


def _request_context(
    access_request: AccessRequest,
    *,
    step: ApprovalStep | None = None,
    grant: Grant | None = None,
    reminder: bool = False,
) -> dict[str, Any]:
    detail = _link(
        "request_detail", f"/requests/{access_request.pk}/", access_request.pk
    )
    return {
        "request": access_request,
        "step": step,
        "grant": grant,
        "reminder": reminder,
        "link": detail,
        "inbox_link": _link("inbox", "/approvals/"),
    }


def _parties(access_request: AccessRequest) -> list[User]:
    return [access_request.requester, access_request.beneficiary]


def _link(name: str, fallback: str, *args: object) -> str:
    """An absolute link to a portal page, by URL name when the page exists."""
    try:
        path = reverse(name, args=args)
    except NoReverseMatch:
        path = fallback
    return f"{settings.SITE_URL.rstrip('/')}{path}"


def _step(step_id: int) -> ApprovalStep | None:
    return (
        ApprovalStep.objects.select_related(
            "request__requester", "request__beneficiary", "request__entitlement"
        )
        .filter(pk=step_id)
        .first()
    )


def _request(request_id: int) -> AccessRequest | None:
    return (
        AccessRequest.objects.select_related("requester", "beneficiary", "entitlement")
        .filter(pk=request_id)
        .first()
    )


def _grant(grant_id: int) -> Grant | None:
    return (
        Grant.objects.select_related(
            "beneficiary", "entitlement", "request__requester", "request__beneficiary"
        )
        .filter(pk=grant_id)
        .first()
    )
