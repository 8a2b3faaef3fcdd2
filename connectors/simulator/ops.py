"""Changes several API families share: group membership with licence limits, user lookups."""

from __future__ import annotations

from typing import TYPE_CHECKING

from connectors.simulator.wire import ApiError

if TYPE_CHECKING:
    from connectors.simulator.core import Simulator
    from connectors.simulator.state import Group, User


class LicenceLimitReached(Exception):
    """Adding the user would exceed the product's licence limit."""

    def __init__(self, group: Group, limit: int) -> None:
        super().__init__(f"licence limit {limit} of group {group.name} reached")
        self.group = group
        self.limit = limit


def licence_limit(sim: Simulator, group: Group) -> int | None:
    """The user limit of a product-access group (None = unlimited or not a product group)."""
    return sim.config.product_group_limits.get(group.name)


def join_group(sim: Simulator, group: Group, user: User) -> bool:
    """Add a member, honouring licence limits; record an event. False if already a member."""
    state = sim.state
    if state.is_member(group, user):
        return False
    limit = licence_limit(sim, group)
    if limit is not None and len(group.members) >= limit:
        raise LicenceLimitReached(group, limit)
    state.add_member(group, user)
    if group.name in sim.config.product_groups and not user.site_access:
        state.set_site_access(
            user, granted=True
        )  # product access joins the site's user base
    sim.record_event(
        "user_added_to_group", ("group", group.group_id), ("user", user.account_id)
    )
    return True


def leave_group(sim: Simulator, group: Group, user: User) -> bool:
    """Remove a member and record an event. False if not a member."""
    if not sim.state.remove_member(group, user):
        return False
    sim.record_event(
        "user_removed_from_group", ("group", group.group_id), ("user", user.account_id)
    )
    return True


def product_keys(sim: Simulator, user: User) -> list[str]:
    """Product keys the user can use through product-access groups."""
    products, workspaces = sim.config.product_groups, sim.config.workspaces
    keys: set[str] = set()
    for group in (sim.state.groups[s] for s in user.groups):
        if group.propagated and group.name in products:
            keys.add(products[group.name])
        keys.update(workspaces[res][0] for _, res in group.roles if res in workspaces)
    keys.update(workspaces[res][0] for _, res in user.roles if res in workspaces)
    return sorted(keys)


def visible_groups(sim: Simulator, user: User) -> list[Group]:
    """The site groups a user belongs to, in group order."""
    groups = [sim.state.groups[seq] for seq in user.groups]
    return sorted((g for g in groups if g.propagated), key=lambda g: g.seq)


def user_or_404(sim: Simulator, account_id: str | None, what: str = "User") -> User:
    """Find a product-visible account by accountId or raise 404."""
    user = sim.state.user_by_account.get(account_id or "")
    if user is None or user.closed:
        raise ApiError(
            404,
            f"{what} with accountId '{account_id}' does not exist.",
            code="USER_NOT_FOUND",
        )
    return user
