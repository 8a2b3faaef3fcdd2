"""The deterministic demo organization (Acme) used by `make run` and the tests."""

from __future__ import annotations

from typing import TYPE_CHECKING

from connectors.simulator.records import days_ago
from connectors.simulator.seed_demo_data import (
    DEPARTMENT_GROUPS,
    EXTERNALS,
    GROUPS,
    JIRA_DEPARTMENTS,
    PEOPLE,
    PROJECTS,
    SITE_ADMINS,
    SPACES,
)
from connectors.simulator.state import Content, Group, Project, ScimProfile, Space, User

if TYPE_CHECKING:
    from connectors.simulator.core import Simulator
    from connectors.simulator.state import State

CREATED = "2024-03-04T09:00:00.000Z"
TIMEZONES = {
    "Engineering": "Europe/Berlin",
    "Product": "Europe/London",
    "Design": "Europe/Paris",
    "Sales": "America/New_York",
    "Marketing": "America/New_York",
    "Finance": "Europe/London",
    "People": "Europe/London",
    "IT": "Europe/Berlin",
    "Executive": "America/New_York",
}


def seed_demo(sim: Simulator) -> None:
    """Load Acme: ~50 people with managers, externals, an app, 10 groups, 8 projects, 6 spaces."""
    state = sim.state
    domain = (
        sim.config.verified_domains[0]
        if sim.config.verified_domains
        else "acme.example"
    )
    people = add_people(sim, domain)
    for index, (first, last, email, title) in enumerate(EXTERNALS):
        people[f"ext{index}"] = state.add_user(
            User(
                state.new_user_seq(),
                state.ids.legacy_account_id(),
                email,
                f"{first} {last}",
                given_name=first,
                family_name=last,
                title=title,
                in_directory=True,
                created=CREATED,
            )
        )
    state.add_user(
        User(
            state.new_user_seq(),
            f"557058:{state.ids.uuid()}",
            "automation@connect.atlassian.invalid",
            "Automation for Jira",
            account_type="app",
            created=CREATED,
        )
    )
    groups = add_groups(sim, people)
    add_projects(sim, people, groups)
    add_spaces(sim, people, groups)
    state.version += 1


def add_people(sim: Simulator, domain: str) -> dict[str, User]:
    """Managed employees; most provisioned through SCIM with the enterprise extension."""
    state, people = sim.state, {}
    for key, first, last, local, title, department, _boss, flags in PEOPLE:
        email = f"{local}@{domain}"
        user = User(
            state.new_user_seq(),
            state.ids.managed_account_id(),
            email,
            f"{first} {last}",
            given_name=first,
            family_name=last,
            title=title,
            department=department,
            organization=sim.config.org_name,
            timezone=TIMEZONES[department],
            managed=True,
            in_directory=True,
            suspended="s" in flags,
            created=CREATED,
            last_active=days_ago(45 if "s" in flags else len(people) * 7 % 30),
        )
        if "i" not in flags:
            user.scim = ScimProfile(
                state.ids.uuid(),
                email,
                external_id=f"okta-{local}",
                created=CREATED,
                modified=CREATED,
                preferred_language="en-US",
            )
        people[key] = state.add_user(user)
    for key, *_, manager, _flags in PEOPLE:
        user, boss = people[key], people.get(manager or "")
        if user.scim is not None and boss is not None and boss.scim is not None:
            user.scim.manager_id, user.scim.manager_display = (
                boss.scim.scim_id,
                boss.display_name,
            )
    return people


def add_groups(sim: Simulator, people: dict[str, User]) -> dict[str, Group]:
    """The ten groups; `engineering` is synced from the IdP (SCIM)."""
    state, groups = sim.state, {}
    for name, description in GROUPS:
        synced = name == "engineering"
        group = Group(
            state.new_group_seq(),
            state.ids.uuid(),
            name,
            description,
            scim_id=state.ids.uuid() if synced else None,
            external_id="okta-grp-engineering" if synced else None,
            external_synced=synced,
            created=CREATED,
        )
        groups[name] = state.add_group(group)
    for key, *_, department, _boss, _flags in PEOPLE:
        user = people[key]
        state.add_member(groups["confluence-users"], user)
        if department in JIRA_DEPARTMENTS or key in (
            "liam",
            "hannah",
            "olivia",
            "peter",
            "ravi",
            "sarah",
        ):
            state.add_member(groups["jira-software-users"], user)
        group_name = DEPARTMENT_GROUPS.get(department)
        if group_name and (group_name != "engineering" or user.scim is not None):
            state.add_member(groups[group_name], user)
    for key in SITE_ADMINS:
        state.add_member(groups["site-admins"], people[key])
    state.add_member(groups["site-admins"], sim.service_account)
    for key in ("ext0", "ext1", "ext2"):
        for name in ("contractors", "jira-software-users", "confluence-users"):
            state.add_member(groups[name], people[key])
    return groups


def actor_seqs(
    actors: list[str], people: dict[str, User], groups: dict[str, Group]
) -> tuple[set[int], set[int]]:
    """Split `["bob", "@design"]` into user seqs and group seqs."""
    users = {people[a].seq for a in actors if not a.startswith("@")}
    return users, {groups[a[1:]].seq for a in actors if a.startswith("@")}


def add_projects(
    sim: Simulator, people: dict[str, User], groups: dict[str, Group]
) -> None:
    """Eight projects with actors on the four roles and a couple of issues each."""
    state = sim.state
    role_ids = {role.name: role.id for role in state.roles.values()}
    for key, name, lead, roles in PROJECTS:
        project = state.add_project(
            Project(
                state.next_project,
                key,
                name,
                lead=people[lead].seq,
                description=f"{name} project",
            )
        )
        for role_name, actors in roles.items():
            users, group_seqs = actor_seqs(actors, people, groups)
            project.users[role_ids[role_name]] |= users
            project.groups[role_ids[role_name]] |= group_seqs
        add_issues(state, project)


def add_issues(state: State, project: Project) -> None:
    """Two issues per project."""
    from connectors.simulator.state import Issue

    for summary in ("Set up the board", "Write the onboarding guide"):
        project.issue_counter += 1
        fields = {
            "project": {"key": project.key},
            "issuetype": {"name": "Task"},
            "summary": summary,
            "description": {
                "type": "doc",
                "version": 1,
                "content": [
                    {
                        "type": "paragraph",
                        "content": [{"type": "text", "text": summary}],
                    }
                ],
            },
        }
        issue = Issue(
            state.next_issue,
            f"{project.key}-{project.issue_counter}",
            project.id,
            fields,
            created=CREATED,
            updated=CREATED,
        )
        state.next_issue += 1
        state.issues[issue.id], state.issue_by_key[issue.key] = issue, issue


def add_spaces(
    sim: Simulator, people: dict[str, User], groups: dict[str, Group]
) -> None:
    """Six spaces; every holder has read/space; the service account administers each."""
    state = sim.state
    service = sim.service_account.account_id
    for key, name, grants in SPACES:
        space = state.add_space(
            Space(
                state.next_space,
                key,
                name,
                author=service,
                created=CREATED,
                description=f"The {name} space",
            )
        )
        for op_key, target in (("read", "space"), ("administer", "space")):
            state.add_permission(space, "user", service, op_key, target)
        for principal, pairs in grants.items():
            kind, ident = (
                ("group", groups[principal[1:]].group_id)
                if principal.startswith("@")
                else ("user", people[principal].account_id)
            )
            state.add_permission(space, kind, ident, "read", "space")
            for pair in pairs:
                op_key, target = pair.split("/")
                state.add_permission(space, kind, ident, op_key, target)
        add_content(state, space, service)


def add_content(state: State, space: Space, author: str) -> None:
    """A home page, two child pages and a blog post."""
    home = state.add_content(
        Content(
            state.new_content_id(),
            "page",
            space.id,
            f"{space.name} Home",
            author=author,
            created=CREATED,
            body=f"<p>Welcome to {space.name}.</p>",
        )
    )
    space.homepage_id = home.id
    for title in ("Team handbook", "How we work"):
        state.add_content(
            Content(
                state.new_content_id(),
                "page",
                space.id,
                title,
                parent_id=home.id,
                author=author,
                created=CREATED,
                body=f"<p>{title}</p>",
            )
        )
    state.add_content(
        Content(
            state.new_content_id(),
            "blogpost",
            space.id,
            f"News from {space.name}",
            author=author,
            created=CREATED,
            body="<p>Quarterly update.</p>",
        )
    )
