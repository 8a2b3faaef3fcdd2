"""Response models of the Jira REST API v3: users, groups, projects, roles, actors.

`JiraClient` (`jira.py`) parses its answers into these; issue models are in
`jira_issues.py`.
"""

from __future__ import annotations

import pydantic

from connectors.atlassian.responses import Model, TextId

USER_ACTOR = "atlassian-user-role-actor"
GROUP_ACTOR = "atlassian-group-role-actor"


class JiraGroup(Model):
    """A group: `groupId` is shared with Confluence."""

    group_id: str = pydantic.Field(alias="groupId")
    name: str


class JiraUser(Model):
    """A user as Jira reports it (emailAddress may be hidden by privacy settings)."""

    account_id: str = pydantic.Field(alias="accountId")
    account_type: str = pydantic.Field("atlassian", alias="accountType")
    active: bool = True
    display_name: str = pydantic.Field("", alias="displayName")
    email_address: str | None = pydantic.Field(None, alias="emailAddress")
    time_zone: str | None = pydantic.Field(None, alias="timeZone")


class AccountRef(Model):
    """`{accountId}` inside other objects."""

    account_id: str = pydantic.Field(alias="accountId")


class JiraProject(Model):
    """A project."""

    id: TextId
    key: str
    name: str
    project_type_key: str | None = pydantic.Field(None, alias="projectTypeKey")
    description: str | None = None
    lead: AccountRef | None = None
    is_private: bool | None = pydantic.Field(None, alias="isPrivate")
    archived: bool = False
    deleted: bool = False  # in the recycle bin: its key stays taken


class CreatedProject(Model):
    """Answer of project creation."""

    id: TextId
    key: str


class JiraRole(Model):
    """A project role (roles are global; actors are per project)."""

    id: int
    name: str
    description: str | None = None


class ActorGroup(Model):
    """`actorGroup` of a group actor."""

    name: str | None = None
    group_id: str | None = pydantic.Field(None, alias="groupId")


class RoleActor(Model):
    """One actor of a project role: a user or a group."""

    type: str
    display_name: str | None = pydantic.Field(None, alias="displayName")
    actor_user: AccountRef | None = pydantic.Field(None, alias="actorUser")
    actor_group: ActorGroup | None = pydantic.Field(None, alias="actorGroup")

    @property
    def account_id(self) -> str | None:
        """The user's accountId for a user actor."""
        return (
            self.actor_user.account_id
            if self.type == USER_ACTOR and self.actor_user
            else None
        )

    @property
    def group_id(self) -> str | None:
        """The groupId for a group actor."""
        return (
            self.actor_group.group_id
            if self.type == GROUP_ACTOR and self.actor_group
            else None
        )


class ProjectRoleActors(Model):
    """A project role with its actors in one project."""

    id: int
    name: str
    actors: tuple[RoleActor, ...] = ()
