"""Administrative operations on the Atlassian organization (issue 9): the domain layer.

Each operation has a name (`groups.create`), a Django form that validates its input
(the admin renders it, the API feeds it JSON) and a handler that makes the change
through the connector. `request_operation` validates, then writes a ProvisioningJob of
kind OPERATION — payload: the operation's name and its validated arguments, never a
secret — in one transaction and enqueues it on commit. The worker runs it through
`approvals.provisioning.execute_job`, the same claim, lease and retry machinery as
provisioning: `TransientError` is retried with backoff, `PermanentError` stops the job
in FAILED with Atlassian's message. Every handler writes an AuditEvent with the state
before and after, and returns an Outcome whose `result` is stored on the job.

Reads (group members, project roles, transitions, pages ...) are plain connector
calls made while the page or API call waits: they change nothing and are not jobs.
The operations themselves live in the `operations_*` modules, one per area.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from approvals import audit, outbox
from approvals.models import AuditEvent, JobKind, OperationJob, ProvisioningJob
from approvals.operations_fields import CatalogField
from approvals.provisioning import Outcome, WaitForOtherJob
from approvals.transitions import InvalidRequest, NotAllowed, NotFound, account_of
from connectors.base import Invalid, PermanentError
from connectors.models import Account, Application, Resource
from connectors.registry import connector_for

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from accessportal.models import User
    from connectors.atlassian.connector import AtlassianConnector
    from connectors.atlassian.content_operations import TaskResult

__all__ = [
    "AREAS",
    "Operation",
    "OperationContext",
    "OperationForm",
    "Outcome",
    "account_of",
    "all_operations",
    "default_application",
    "get_operation",
    "perform_operation",
    "queue_operation",
    "register",
    "request_operation",
]

# Admin sections and API prefixes, in the order people look for them.
AREAS: dict[str, str] = {
    "accounts": "Accounts",
    "groups": "Groups",
    "projects": "Jira projects",
    "issues": "Jira issues",
    "confluence": "Confluence content",
}


class OperationForm(forms.Form):
    """Validates one operation's input for an Application.

    `arguments()` turns the cleaned data into the job payload (JSON: ids and text);
    `links()` names the identity/account/entitlement the job row points at.
    """

    def __init__(
        self,
        data: Any = None,
        files: Any = None,
        *,
        application: Application,
        **kwargs: Any,
    ) -> None:
        super().__init__(data, files, **kwargs)
        self.application = application
        for form_field in self.fields.values():
            if isinstance(form_field, CatalogField):
                form_field.application = application

    def arguments(self) -> dict[str, Any]:
        """The payload: model instances become their id, blanks are dropped."""
        values: dict[str, Any] = {}
        for name, value in self.cleaned_data.items():
            if value in (None, "", [], ()):
                continue
            if isinstance(value, Resource):
                values[name] = value.key  # projects and spaces read best by key
            elif isinstance(value, models.Model):
                values[name] = value.pk
            else:
                values[name] = value
        return values

    def links(self) -> dict[str, Any]:
        """identity=, account=, entitlement= for the job row (none by default)."""
        return {}


@dataclass(frozen=True)
class Operation:
    """One administrative operation: its form, its handler and how it reads in a list."""

    name: str  # "groups.create": also the API path /api/v1/ops/groups/create/
    area: str  # a key of AREAS
    label: str  # "Create a group"
    form: type[OperationForm]
    run: Callable[[OperationContext], Outcome]
    describe: Callable[[dict[str, Any]], str]
    notes: str = ""  # shown above the admin form and in the API docs
    internal: bool = False  # queued by the portal itself (ticket trail), not offered

    @property
    def path(self) -> str:
        """The API path below /api/v1/ops/: "groups/create"."""
        return self.name.replace(".", "/")


_REGISTRY: dict[str, Operation] = {}


def register(operation: Operation) -> Operation:
    """Add an operation to the registry (each operations_* module does at import)."""
    if operation.area not in AREAS:
        raise ValueError(f"Unknown area {operation.area!r} for {operation.name}")
    _REGISTRY[operation.name] = operation
    return operation


def all_operations(*, include_internal: bool = False) -> list[Operation]:
    """Every registered operation, in area order, then as registered."""
    order = list(AREAS)
    found = [o for o in _REGISTRY.values() if include_internal or not o.internal]
    return sorted(found, key=lambda o: order.index(o.area))


def get_operation(name: str, *, include_internal: bool = False) -> Operation:
    """The operation called `name`; NotFound when there is none."""
    operation = _REGISTRY.get(name)
    if operation is None or (operation.internal and not include_internal):
        raise NotFound(f"There is no operation called {name!r}.")
    return operation


# --- asking for an operation ------------------------------------------------------------


def default_application(
    application: Application | int | str | None = None,
) -> Application:
    """The Application to act on: the one given, else the only enabled one."""
    if isinstance(application, Application):
        return application
    if application is not None:
        if not str(application).isdigit():
            message = f"{application!r} is not an application id."
            raise InvalidRequest(message, {"application": [message]})
        found = Application.objects.filter(pk=int(application)).first()
        if found is None:
            message = f"There is no application #{application}."
            raise InvalidRequest(message, {"application": [message]})
        return found
    enabled = list(Application.objects.filter(is_enabled=True)[:2])
    if len(enabled) != 1:
        message = (
            "Choose the application: none is enabled."
            if not enabled
            else "Choose the application: several are enabled."
        )
        raise InvalidRequest(message, {"application": [message]})
    return enabled[0]


def request_operation(
    name: str,
    data: Any,
    files: Any = None,
    *,
    by: User,
    application: Application | int | None = None,
) -> OperationJob:
    """Validate an admin's operation and queue it as a job; returns the job.

    Raises NotAllowed for non-admins, NotFound for an unknown operation and
    InvalidRequest with field errors for bad input. Nothing reaches Atlassian here.
    """
    if not by.is_admin:
        raise NotAllowed("Only an administrator may run operations on Atlassian.")
    operation = get_operation(name)
    target = default_application(application)
    if not target.is_enabled:
        message = f"{target} is disabled."
        raise InvalidRequest(message, {"application": [message]})
    form = operation.form(data, files, application=target)
    if not form.is_valid():
        errors = field_errors(form)
        raise InvalidRequest(next(iter(errors.values()))[0], errors)
    return queue_operation(
        name, form.arguments(), application=target, by=by, **form.links()
    )


def queue_operation(
    name: str,
    arguments: dict[str, Any],
    *,
    application: Application,
    by: User | None,
    identity: User | None = None,
    account: Account | None = None,
    entitlement: Any = None,
) -> OperationJob:
    """Write the job row (audited) and enqueue it once the transaction commits."""
    operation = get_operation(name, include_internal=True)
    with transaction.atomic():
        job = outbox.create_job(
            JobKind.OPERATION,
            application=application,
            identity=identity,
            account=account,
            entitlement=entitlement,
            payload={"operation": name, "arguments": arguments},
            reason=operation.describe(arguments),
            created_by=by,
        )
    return OperationJob.objects.get(pk=job.pk)


def field_errors(form: forms.Form) -> dict[str, list[str]]:
    """The form's errors as {field: [messages]}; form-wide ones as non_field_errors."""
    return {
        ("non_field_errors" if name == "__all__" else name): [str(m) for m in messages]
        for name, messages in form.errors.items()
    }


# --- running one (called by approvals.provisioning for kind OPERATION) -----------------


@dataclass
class OperationContext:
    """What a handler gets: the job, its connector and its arguments."""

    job: ProvisioningJob
    connector: AtlassianConnector
    arguments: dict[str, Any] = field(default_factory=dict)

    @property
    def application(self) -> Application:
        """The Application the job acts on."""
        return self.job.application

    @property
    def progress(self) -> dict[str, Any]:
        """What an earlier attempt saved (a long task's id), else {}."""
        return dict(self.job.result or {})

    def save_progress(self, **values: Any) -> None:
        """Keep values on the job's result while it runs, for the next attempt."""
        result = {**self.progress, **values}
        ProvisioningJob.objects.filter(pk=self.job.pk).update(result=result)
        self.job.result = result

    def record(
        self,
        *,
        target_type: str,
        target_id: str,
        target_label: str = "",
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
        message: str = "",
    ) -> AuditEvent:
        """The operation's audit event: what changed in Atlassian, before and after."""
        actor = self.job.created_by
        return AuditEvent.objects.create(
            actor=actor,
            actor_label=audit.actor_label(actor)[:200],
            action=f"operation.{self.job.payload.get('operation', '')}"[:100],
            target_type=target_type[:100],
            target_id=str(target_id)[:100],
            target_label=str(target_label)[:300],
            before=before or {},
            after=after or {},
            message=f"{message} (operation #{self.job.pk})".strip(),
        )


def perform_operation(job: ProvisioningJob, connector: AtlassianConnector) -> Outcome:
    """Run an OPERATION job's handler; raises connector errors like any job."""
    name = str((job.payload or {}).get("operation", ""))
    operation = _REGISTRY.get(name)
    if operation is None:
        raise Invalid(f"The portal has no operation called {name!r}.")
    arguments = dict((job.payload or {}).get("arguments") or {})
    return operation.run(OperationContext(job, connector, arguments))


def follow_task(
    context: OperationContext, start: Callable[[], TaskResult], what: str
) -> TaskResult:
    """Start a Confluence long task once, then poll it until it finishes.

    Polls for up to OPERATION_TASK_INLINE_SECONDS; when the task is still running,
    the job is put back (WaitForOtherJob, the attempt does not count) to poll again
    later with the saved task id, never starting the task twice. A task that runs
    longer than OPERATION_TASK_TIMEOUT_SECONDS fails the job.
    """
    task_id = context.progress.get("task_id")
    if not task_id:
        task_id = start().task_id
        context.save_progress(task_id=task_id, started_at=timezone.now().isoformat())
    deadline = time.monotonic() + settings.OPERATION_TASK_INLINE_SECONDS
    while True:
        status = context.connector.get_task(task_id)
        if status.finished:
            if not status.successful:
                raise PermanentError(
                    f"Confluence reports that the {what} failed (task {task_id})."
                )
            return status
        if time.monotonic() >= deadline:
            break
        time.sleep(settings.OPERATION_TASK_POLL_SECONDS)
    started = _parse_time(context.progress.get("started_at"))
    limit = timedelta(seconds=settings.OPERATION_TASK_TIMEOUT_SECONDS)
    if started is not None and timezone.now() - started > limit:
        raise PermanentError(
            f"The {what} (task {task_id}) did not finish within {limit}."
        )
    context.save_progress(percent=status.percent)
    raise WaitForOtherJob(
        f"Waiting for Confluence: {what} {status.percent}% done",
        delay=max(1.0, settings.OPERATION_TASK_POLL_SECONDS),
    )


def _parse_time(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


# --- small shared helpers of the operations_* modules ----------------------------------


@contextmanager
def connection(application: Application) -> Iterator[AtlassianConnector]:
    """A connector for reads made while a page or API call waits; closed afterwards."""
    connector = connector_for(application)
    try:
        yield connector  # type: ignore[misc]
    finally:
        connector.close()  # type: ignore[attr-defined]


def absolute_link(application: Application, link: str | None) -> str | None:
    """A site-relative link from Atlassian made absolute (download links)."""
    if not link or "://" in link:
        return link
    return application.site_url.rstrip("/") + "/" + link.lstrip("/")


def load_operations() -> None:
    """Import the operations_* modules so their operations are registered."""
    from approvals import (  # noqa: F401 - they import this module
        operations_accounts,
        operations_attachments,
        operations_confluence,
        operations_groups,
        operations_issues,
        operations_projects,
        operations_restrictions,
        ticket_trail,
    )


load_operations()
