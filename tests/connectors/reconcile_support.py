"""Helpers for the reconciliation tests: run one, look things up in the catalog."""

from __future__ import annotations

from typing import Any

from connectors.models import Account, Assignment, Entitlement, ReconciliationRun
from connectors.reconcile import execute_run, start_run


def reconcile(application: Any, **options: Any) -> ReconciliationRun:
    """Start and execute one run; return it finished."""
    return execute_run(start_run(application, **options).pk)


def account(email: str) -> Account:
    """The catalog account with this email."""
    return Account.objects.get(email__iexact=email)


def entitlement(display_name: str) -> Entitlement:
    """The entitlement people see under this name ("WEB · Member", "engineering")."""
    return Entitlement.objects.get(display_name=display_name)


def holds(email: str, display_name: str, *, via: str | None = None) -> bool:
    """Whether the account currently holds the entitlement (directly, or via a group)."""
    held = Assignment.objects.current().filter(entitlement=entitlement(display_name))
    if via is None:
        return held.filter(account=account(email)).exists()
    reaching = held.reaching(Account.objects.filter(email__iexact=email))
    return reaching.filter(holder_group=entitlement(via)).exists()


def group_holds(group: str, display_name: str) -> bool:
    """Whether a whole group currently holds the entitlement."""
    return (
        Assignment.objects.current()
        .filter(holder_group=entitlement(group), entitlement=entitlement(display_name))
        .exists()
    )


def sim_user(simulator: Any, email: str) -> Any:
    """The simulator's user with this email."""
    return simulator.state.user_by_email(email)


def sim_group(simulator: Any, name: str) -> Any:
    """The simulator's group with this name."""
    return simulator.state.group_by_name(name)


def sim_role_id(simulator: Any, name: str) -> int:
    """The id of a Jira project role by name."""
    return next(r.id for r in simulator.state.roles.values() if r.name == name)
