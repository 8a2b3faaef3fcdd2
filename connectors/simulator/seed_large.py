"""A large deterministic organization for scale tests and benchmarks."""

from __future__ import annotations

import math
import random
from typing import TYPE_CHECKING

from connectors.simulator.records import days_ago
from connectors.simulator.state import (
    Content,
    Group,
    IdFactory,
    Project,
    ScimProfile,
    Space,
    User,
)

if TYPE_CHECKING:
    from connectors.simulator.core import Simulator

CREATED = "2024-01-15T08:00:00.000Z"
FIRST = (
    "Ada",
    "Ben",
    "Cleo",
    "Dev",
    "Eva",
    "Finn",
    "Gia",
    "Hugo",
    "Ines",
    "Jon",
    "Kai",
    "Lea",
    "Max",
    "Nia",
    "Otto",
    "Pia",
    "Quin",
    "Rosa",
    "Sven",
    "Tara",
    "Uma",
    "Vik",
    "Wren",
    "Xena",
    "Yara",
    "Zane",
)
LAST = (
    "Abbott",
    "Baker",
    "Costa",
    "Diaz",
    "Evans",
    "Fox",
    "Garcia",
    "Hale",
    "Ito",
    "Jones",
    "Khan",
    "Lopez",
    "Meyer",
    "Nash",
    "Ortiz",
    "Patel",
    "Quinn",
    "Reyes",
    "Sato",
    "Tran",
    "Ueda",
    "Vance",
    "Weber",
    "Xu",
    "Young",
    "Zimmer",
)
DEPARTMENTS = (
    "Engineering",
    "Product",
    "Design",
    "Sales",
    "Marketing",
    "Finance",
    "People",
    "IT",
)
TITLES = (
    "Engineer",
    "Senior Engineer",
    "Manager",
    "Analyst",
    "Designer",
    "Specialist",
    "Lead",
    "Director",
)
PAIRS = (
    ("create", "page"),
    ("create", "blogpost"),
    ("create", "comment"),
    ("create", "attachment"),
    ("delete", "page"),
    ("export", "space"),
)


def seed_large(
    sim: Simulator,
    users: int,
    groups: int,
    projects: int,
    spaces: int,
    memberships_per_user: int,
    seed: int,
) -> None:
    """Generate users (mostly SCIM-provisioned), groups, memberships, projects and spaces."""
    rng = random.Random(seed)  # noqa: S311 - reproducible data, not crypto
    ids = IdFactory(seed)
    group_list = make_groups(sim, ids, groups)
    make_users(sim, rng, ids, users, group_list, memberships_per_user)
    make_projects(sim, rng, projects, group_list)
    make_spaces(sim, rng, spaces, group_list)
    sim.state.version += 1


def make_groups(sim: Simulator, ids: IdFactory, count: int) -> list[Group]:
    """Product groups first, then numbered groups; every 50th is IdP-synced."""
    state, out = sim.state, []
    for name in ("jira-software-users", "confluence-users"):
        existing = state.group_by_name(name)
        out.append(
            existing
            or state.add_group(
                Group(state.new_group_seq(), ids.uuid(), name, created=CREATED)
            )
        )
    for index in range(max(0, count - len(out))):
        synced = index % 50 == 49
        group = Group(
            state.new_group_seq(),
            ids.uuid(),
            f"team-{index:05d}",
            f"Team {index}",
            scim_id=ids.uuid() if synced else None,
            external_synced=synced,
            created=CREATED,
        )
        out.append(state.add_group(group))
    return out


def make_users(
    sim: Simulator,
    rng: random.Random,
    ids: IdFactory,
    count: int,
    groups: list[Group],
    per_user: int,
) -> None:
    """Users with memberships; seqs ascend, so member lists stay sorted by appending."""
    state = sim.state
    domain = (
        sim.config.verified_domains[0] if sim.config.verified_domains else "example.com"
    )
    jira, confluence, others = groups[0], groups[1], groups[2:]
    extra = max(0, min(per_user - 2, len(others)))
    strides = [
        k for k in range(1, max(2, len(others))) if math.gcd(k, len(others)) == 1
    ] or [1]
    org = sim.config.org_name
    recent = [days_ago(days) for days in range(90)]  # one string per day, shared
    for index in range(count):
        first, last = FIRST[index % 26], LAST[(index // 26) % 26]
        external = index % 100 == 99
        email = f"{first.lower()}.{last.lower()}.{index}@{'partner.example' if external else domain}"
        seq = state.new_user_seq()
        user = User(
            seq,
            ids.legacy_account_id() if external else ids.managed_account_id(),
            email,
            f"{first} {last}",
            given_name=first,
            family_name=last,
            title=TITLES[index % 8],
            department=DEPARTMENTS[index % 8],
            organization="" if external else org,
            managed=not external,
            in_directory=True,
            suspended=index % 200 == 199,
            created=CREATED,
            last_active=None if index % 50 == 49 else recent[index % len(recent)],
        )
        if not external and index % 10 != 9:
            user.scim = ScimProfile(
                ids.uuid(),
                email,
                external_id=f"ext-{index}",
                created=CREATED,
                modified=CREATED,
            )
        state.add_user(user)
        chosen = [jira, confluence] if index % 5 else [confluence]
        if extra:
            # A random start and a stride coprime to the group count: distinct groups, two draws.
            start, stride = (
                rng.randrange(len(others)),
                strides[rng.randrange(len(strides))],
            )
            chosen += [others[(start + k * stride) % len(others)] for k in range(extra)]
        linked = user.scim is not None
        for group in chosen:
            if linked or not group.external_synced:
                group.members.append(seq)
                user.groups.append(group.seq)


def make_projects(
    sim: Simulator, rng: random.Random, count: int, groups: list[Group]
) -> None:
    """Projects P0000.. with a lead and a few user and group actors per role."""
    state = sim.state
    seqs = state.directory_order
    for index in range(count):
        project = state.add_project(
            Project(
                state.next_project,
                f"P{index:04d}",
                f"Project {index:04d}",
                lead=seqs[rng.randrange(len(seqs))] if seqs else None,
            )
        )
        for role_id in state.roles:
            project.users[role_id] = (
                {seqs[rng.randrange(len(seqs))] for _ in range(3)} if seqs else set()
            )
            project.groups[role_id] = {groups[rng.randrange(len(groups))].seq}


def make_spaces(
    sim: Simulator, rng: random.Random, count: int, groups: list[Group]
) -> None:
    """Spaces S0000.. with read/space for every holder and a spread of other pairs."""
    state = sim.state
    seqs, service = state.directory_order, sim.service_account.account_id
    for index in range(count):
        space = state.add_space(
            Space(
                state.next_space,
                f"S{index:04d}",
                f"Space {index:04d}",
                author=service,
                created=CREATED,
            )
        )
        state.add_permission(space, "user", service, "read", "space")
        state.add_permission(space, "user", service, "administer", "space")
        holders = [
            ("group", groups[rng.randrange(len(groups))].group_id) for _ in range(2)
        ]
        holders += (
            [
                ("user", state.users[seqs[rng.randrange(len(seqs))]].account_id)
                for _ in range(3)
            ]
            if seqs
            else []
        )
        for kind, ident in dict.fromkeys(holders):
            state.add_permission(space, kind, ident, "read", "space")
            for pair in rng.sample(PAIRS, 2):
                state.add_permission(space, kind, ident, *pair)
        home = state.add_content(
            Content(
                state.new_content_id(),
                "page",
                space.id,
                f"Space {index:04d} Home",
                author=service,
                created=CREATED,
            )
        )
        space.homepage_id = home.id
