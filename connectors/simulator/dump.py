"""A plain-data dump of the simulator state, for tests and benchmarks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from connectors.simulator.state import State


def dump_state(state: State) -> dict[str, Any]:
    """Users, groups (with member accountIds), projects (role actors) and spaces (permissions)."""
    users = [
        {
            "accountId": u.account_id,
            "email": u.email,
            "displayName": u.display_name,
            "type": u.account_type,
            "active": u.active,
            "managed": u.managed,
            "scimId": u.scim.scim_id if u.scim else None,
            "title": u.title,
            "department": u.department,
        }
        for u in state.users.values()
    ]
    groups = [
        {
            "groupId": g.group_id,
            "name": g.name,
            "scimId": g.scim_id,
            "externalSynced": g.external_synced,
            "members": [state.users[s].account_id for s in g.members],
        }
        for g in state.groups.values()
    ]
    roles = {r.id: r.name for r in state.roles.values()}
    projects = [
        {
            "id": p.id,
            "key": p.key,
            "name": p.name,
            "lead": state.users[p.lead].account_id if p.lead in state.users else None,
            "roles": {
                roles[rid]: {
                    "users": sorted(state.users[s].account_id for s in p.users[rid]),
                    "groups": sorted(state.groups[s].group_id for s in p.groups[rid]),
                }
                for rid in p.users
            },
        }
        for p in state.projects.values()
    ]
    spaces = [
        {
            "id": s.id,
            "key": s.key,
            "name": s.name,
            "permissions": sorted(
                (p.principal_type, p.principal_id, p.key, p.target)
                for p in s.permissions.values()
            ),
        }
        for s in state.spaces.values()
    ]
    counts = {
        "users": len(users),
        "groups": len(groups),
        "projects": len(projects),
        "spaces": len(spaces),
        "memberships": sum(len(g.members) for g in state.groups.values()),
        "permissions": sum(len(s.permissions) for s in state.spaces.values()),
        "content": len(state.content),
        "events": len(state.events),
    }
    return {
        "counts": counts,
        "users": users,
        "groups": groups,
        "projects": projects,
        "spaces": spaces,
    }
