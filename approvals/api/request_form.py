"""The request form of an entitlement: the fields IGA systems show to requesters."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from approvals.models import Policy


def request_form(policy: Policy | None) -> list[dict]:
    """The fields a request takes under `policy`, with required flags and limits."""
    fields: list[dict] = [
        {
            "name": "justification",
            "type": "text",
            "label": "Why do you need this access?",
            "required": policy.justification_required if policy else True,
        },
        {
            "name": "duration_days",
            "type": "integer",
            "label": "For how many days",
            "required": False,
            "default": policy.default_duration_days if policy else None,
            "maximum": policy.max_duration_days if policy else None,
        },
        {
            "name": "ends_at",
            "type": "datetime",
            "label": "Until",
            "required": False,
        },
    ]
    if policy is None or policy.managers_may_request_for_reports:
        fields.append(
            {
                "name": "beneficiary",
                "type": "identity",
                "label": "For someone else (managers, for their reports)",
                "required": False,
            }
        )
    return fields
