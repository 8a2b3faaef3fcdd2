"""Writing the audit trail: one append-only AuditEvent per change."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from approvals.models import AuditEvent

if TYPE_CHECKING:
    from django.db import models

    from accessportal.models import User
    from approvals.models import AccessRequest

SYSTEM_LABEL = "Access Portal"


def actor_label(actor: User | None) -> str:
    """How the actor is named in the trail; the system when nobody acted."""
    if actor is None:
        return SYSTEM_LABEL
    return f"{actor.label} ({actor.username})" if actor.username else actor.label


def record(
    action: str,
    *,
    target: models.Model,
    actor: User | None = None,
    request: AccessRequest | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    message: str = "",
) -> AuditEvent:
    """Append one event; call it inside the transaction that makes the change."""
    return AuditEvent.objects.create(
        actor=actor,
        actor_label=actor_label(actor)[:200],
        action=action,
        target_type=target._meta.label,
        target_id=str(target.pk),
        target_label=str(target)[:300],
        request=request,
        before=before or {},
        after=after or {},
        message=message,
    )
