"""Template filters of the web pages: labels and badge styles for the design's nouns."""

from __future__ import annotations

from django import template

from approvals.forms import KIND_LABELS

register = template.Library()

BADGES = {
    "pending": "pending",
    "approved": "approved",
    "provisioning": "provisioning",
    "active": "active",
    "denied": "denied",
    "failed": "failed",
    "revoked": "revoked",
    "revoking": "revoking",
    "cancelled": "neutral",
    "expired": "neutral",
    "ended": "neutral",
    "held": "held",
    "in_cart": "in-cart",
    "requestable": "requestable",
    "open": "open",
    "waiting": "waiting",
    "skipped": "neutral",
}


@register.filter
def kind_label(kind: str) -> str:
    """ "Jira project role" for "project_role"."""
    return KIND_LABELS.get(kind, kind.replace("_", " ").capitalize())


@register.filter
def badge(state: str) -> str:
    """The CSS modifier of a state's badge."""
    return f"badge badge--{BADGES.get(state, 'neutral')}"


GOOD_EVENTS = {"approved", "active", "activated", "granted", "provisioned", "extended"}
BAD_EVENTS = {"denied", "failed", "revoked", "expired", "cancelled", "ended", "closed"}


@register.filter
def timeline_class(entry: object) -> str:
    """Colour a timeline dot by what happened: good, bad, or still waiting."""
    kind = (getattr(entry, "kind", "") or "").lower()
    if kind == "decision":
        text = getattr(entry, "text", "")
        return "timeline--good" if text.startswith("Approved") else "timeline--bad"
    if any(word in kind for word in GOOD_EVENTS):
        return "timeline--good"
    if any(word in kind for word in BAD_EVENTS):
        return "timeline--bad"
    return "timeline--wait" if "wait" in kind or "pending" in kind else ""
