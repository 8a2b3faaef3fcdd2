"""Form fields of the administrative operations: people, catalog objects, Atlassian ids.

Each field accepts what a person types in the admin and what a script sends to the
API (an id, or a readable name), and turns it into a row of the catalog with a clear
message when nothing matches. Fields that look in the catalog get the form's
Application from `OperationForm.__init__`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator

from accessportal.models import User
from connectors.base import EntitlementKind, ResourceKind
from connectors.models import Entitlement, Resource

if TYPE_CHECKING:
    from connectors.models import Application

CONTENT_ID = RegexValidator(r"^\d{1,20}$", "A Confluence id is a number, e.g. 65601.")
ATTACHMENT_ID = RegexValidator(
    r"^(att)?\d{1,20}$", "An attachment id looks like att65601 (or 65601)."
)
ISSUE_KEY = RegexValidator(
    r"^([A-Z][A-Z0-9_]{0,19}-\d{1,10}|\d{1,12})$",
    "An issue is given by its key (WEB-12) or its numeric id.",
)
PROJECT_KEY = RegexValidator(
    r"^[A-Z][A-Z0-9]{1,9}$",
    "A project key is 2 to 10 capital letters or digits, starting with a letter (e.g. WEB).",
)


class CatalogField(forms.CharField):
    """A field that looks values up in the catalog of the form's Application."""

    application: Application | None = None

    def lookup_application(self) -> Application:
        if self.application is None:  # pragma: no cover - set by OperationForm
            raise ValidationError("No application to look in.")
        return self.application


class IdentityField(forms.CharField):
    """A portal identity, by id, username or email."""

    default_error_messages = {
        "unknown": "No identity with the id, username or email {value}."
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", "The person: identity id, username or email.")
        kwargs.setdefault("max_length", 254)
        super().__init__(**kwargs)

    def clean(self, value: Any) -> User | None:
        text = super().clean(value)
        if not text:
            return None
        people = User.objects.all()
        found = (
            people.filter(pk=int(text)).first()
            if text.isdigit()
            else people.filter(username=text).first() or people.with_email(text).first()
        )
        if found is None:
            raise ValidationError(
                self.error_messages["unknown"].format(value=text), "unknown"
            )
        return found


class GroupField(CatalogField):
    """A group of the catalog, by entitlement id, group name or Atlassian groupId."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", "The group: its name, groupId, or catalog id.")
        kwargs.setdefault("max_length", 255)
        super().__init__(**kwargs)

    def clean(self, value: Any) -> Entitlement | None:
        text = super().clean(value)
        if not text:
            return None
        groups = Entitlement.objects.present().filter(
            application=self.lookup_application(), kind=EntitlementKind.GROUP
        )
        found = (
            (groups.filter(pk=int(text)).first() if text.isdigit() else None)
            or groups.filter(external_id=text).first()
            or groups.filter(name__iexact=text).first()
        )
        if found is None:
            raise ValidationError(
                f"No group {text!r} in the catalog (reconcile if it was just created).",
                "unknown",
            )
        return found


class ResourceField(CatalogField):
    """A Jira project or Confluence space of the catalog, by key."""

    labels = {
        ResourceKind.PROJECT: "Jira project",
        ResourceKind.SPACE: "Confluence space",
    }

    def __init__(self, kind: ResourceKind, **kwargs: Any) -> None:
        self.kind = kind
        kwargs.setdefault("help_text", f"The {self.labels[kind]}'s key.")
        kwargs.setdefault("max_length", 255)
        super().__init__(**kwargs)

    def clean(self, value: Any) -> Resource | None:
        text = super().clean(value)
        if not text:
            return None
        resources = Resource.objects.filter(
            application=self.lookup_application(),
            kind=self.kind,
            removed_at__isnull=True,
        )
        found = (
            resources.filter(key=text).first()
            or resources.filter(key__iexact=text).first()
        )
        if found is None:
            raise ValidationError(
                f"No {self.labels[self.kind]} with key {text!r} in the catalog "
                "(reconcile if it was just created).",
                "unknown",
            )
        return found


class TextListField(forms.CharField):
    """A list of short values: a JSON list, or text separated by commas or spaces."""

    widget = forms.Textarea(attrs={"rows": 2, "cols": 60})

    def __init__(
        self, *, item_validator: RegexValidator, max_items: int, **kwargs: Any
    ) -> None:
        self.item_validator = item_validator
        self.max_items = max_items
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        if value in self.empty_values:
            return []
        if isinstance(value, (list, tuple)):
            items = [str(item).strip() for item in value]
        else:
            items = re.split(r"[\s,]+", str(value))
        return [item for item in dict.fromkeys(items) if item]

    def validate(self, value: list[str]) -> None:  # type: ignore[override]
        if self.required and not value:
            raise ValidationError(self.error_messages["required"], "required")
        if len(value) > self.max_items:
            raise ValidationError(
                f"At most {self.max_items} at a time (got {len(value)}).", "max_items"
            )
        for item in value:
            self.item_validator(item)

    def run_validators(self, value: Any) -> None:
        return  # the items are checked one by one in validate()


def lookup(
    field: forms.Field, value: Any, application: Application, *, name: str
) -> Any:
    """Clean one value with an operation field (reads take ids in the URL).

    Raises InvalidRequest with the field's message under `name`.
    """
    from approvals.transitions import InvalidRequest

    if isinstance(field, CatalogField):
        field.application = application
    try:
        return field.clean(value)
    except ValidationError as error:
        message = error.messages[0]
        raise InvalidRequest(message, {name: [message]}) from None


def content_id_field(
    label: str,
    *,
    required: bool = True,
    help_text: str = "",
    validator: RegexValidator = CONTENT_ID,
) -> forms.CharField:
    """A Confluence page, blog post, comment (or, with ATTACHMENT_ID, attachment) id."""
    return forms.CharField(
        label=label,
        required=required,
        max_length=23,
        validators=[validator],
        help_text=help_text,
    )


def issue_field(**kwargs: Any) -> forms.CharField:
    """A Jira issue key or id."""
    kwargs.setdefault("help_text", "The issue's key, e.g. WEB-12.")
    return forms.CharField(
        label="Issue", max_length=40, validators=[ISSUE_KEY], **kwargs
    )


def body_field(
    label: str = "Body", *, required: bool = True, help_text: str = ""
) -> forms.CharField:
    """Rich text: Confluence storage format (XHTML), or plain text for Jira."""
    return forms.CharField(
        label=label,
        required=required,
        max_length=200_000,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 8, "cols": 80}),
        help_text=help_text,
    )
