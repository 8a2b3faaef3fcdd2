"""Files in and out of Confluence: attachments (add, delete), space exports, page view.

Exporting a space is a Confluence long task: the job starts it once, polls it until it
finishes (`operations.follow_task`) and keeps the download link in its result.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from approvals.models import ProvisioningJob
from approvals.operations import (
    Operation,
    OperationForm,
    Outcome,
    absolute_link,
    follow_task,
    register,
)
from approvals.operations_confluence import AREA, deletion, record_content
from approvals.operations_fields import ATTACHMENT_ID, ResourceField, content_id_field
from approvals.operations_idempotency import create_once
from approvals.operations_restrictions import restrictions_of
from connectors.atlassian.content_operations import AttachmentResult
from connectors.base import Conflict, ResourceKind

if TYPE_CHECKING:
    from approvals.operations import OperationContext
    from connectors.atlassian.connector import AtlassianConnector


class AttachmentUploadForm(OperationForm):
    page_id = content_id_field("Page")
    file = forms.FileField(
        required=False, help_text="The file to attach (the admin form)."
    )
    filename = forms.CharField(
        required=False, max_length=255, help_text="The file's name (API uploads)."
    )
    content_base64 = forms.CharField(
        required=False,
        strip=True,
        widget=forms.HiddenInput,
        help_text="The file's content, base64-encoded (API uploads).",
    )
    media_type = forms.CharField(
        required=False,
        max_length=100,
        help_text="e.g. text/plain; guessed as application/octet-stream.",
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        upload, encoded = cleaned.get("file"), cleaned.get("content_base64")
        if bool(upload) == bool(encoded):
            raise ValidationError(
                "Give the file, either uploaded or as content_base64."
            )
        if upload:
            data, name = upload.read(), cleaned.get("filename") or upload.name
            media_type = (
                cleaned.get("media_type") or getattr(upload, "content_type", "") or ""
            )
        else:
            try:
                data = base64.b64decode(encoded, validate=True)
            except (binascii.Error, ValueError):
                raise ValidationError(
                    {"content_base64": "This is not valid base64."}
                ) from None
            name, media_type = cleaned.get("filename"), cleaned.get("media_type") or ""
            if not name:
                raise ValidationError({"filename": "Name the file."})
        limit = settings.OPERATION_ATTACHMENT_MAX_BYTES
        if len(data) > limit:
            raise ValidationError(
                f"The file is {len(data)} bytes; attachments up to {limit} bytes go through the portal."
            )
        cleaned.update(
            filename=name.replace("/", "_").replace("\\", "_"),
            media_type=media_type or "application/octet-stream",
            content_base64=base64.b64encode(data).decode(),
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
        )
        cleaned.pop("file", None)
        return cleaned


class AttachmentForm(OperationForm):
    attachment_id = content_id_field("Attachment", validator=ATTACHMENT_ID)


class SpaceExportForm(OperationForm):
    space = ResourceField(ResourceKind.SPACE)
    format = forms.ChoiceField(
        choices=[("html", "HTML"), ("xml", "XML (for import)")],
        initial="html",
        required=False,
    )


def upload_attachment(context: OperationContext) -> Outcome:
    """Attach the file once per job; a same-named file already there fails the job."""
    a = context.arguments
    created = create_once(
        context,
        "attachment",
        AttachmentResult,
        lambda: context.connector.upload_attachment(
            a["page_id"],
            a["filename"],
            base64.b64decode(a["content_base64"]),
            a.get("media_type") or "application/octet-stream",
        ),
        find=lambda: _attachment_of_job(context),
    )
    made = created.made
    after = {
        "attachment_id": made.attachment_id,
        "title": made.title,
        "page_id": a["page_id"],
        "size": a.get("size"),
        "sha256": a.get("sha256"),
    }
    message = f"{made.title} attached to page {a['page_id']}{created.note}"
    record_content(
        context, "attachment", made.attachment_id, made.title, {}, after, message
    )
    # The file has reached Confluence: keep its fingerprint, not its bytes, on the job.
    arguments = {k: v for k, v in a.items() if k != "content_base64"}
    ProvisioningJob.objects.filter(pk=context.job.pk).update(
        payload={**context.job.payload, "arguments": arguments}
    )
    return Outcome(message, after | created.result)


def _attachment_of_job(context: OperationContext) -> AttachmentResult | None:
    """The file an unanswered upload attached: its name on the page, with its size."""
    a = context.arguments
    found = context.connector.find_attachment(a["page_id"], a["filename"])
    if found is None:
        return None
    if found.size is not None and a.get("size") is not None and found.size != a["size"]:
        raise Conflict(
            f"Page {a['page_id']} already has another file named {a['filename']} "
            f"({found.size} bytes, not {a['size']}); Confluence keeps one file per name.",
            family="confluence",
        )
    return found


def export_space(context: OperationContext) -> Outcome:
    a = context.arguments
    fmt = a.get("format") or "html"
    status = follow_task(
        context,
        lambda: context.connector.start_space_export(a["space"], export_format=fmt),
        "space export",
    )
    link = absolute_link(context.application, status.download_link)
    after = {
        "space": a["space"],
        "format": fmt,
        "task_id": status.task_id,
        "download_link": link,
    }
    context.record(
        target_type="atlassian.space",
        target_id=a["space"],
        target_label=a["space"],
        after=after,
        message=f"Space {a['space']} exported ({fmt})",
    )
    return Outcome(f"Space {a['space']} exported: {link}", after)


@dataclass(frozen=True)
class PageDetail:
    """A page with its attachments and restrictions, as Confluence shows them now."""

    page: Any
    attachments: list[Any]
    restrictions: dict[str, Any]


def page_detail(connector: AtlassianConnector, page_id: str) -> PageDetail:
    """One page: title, status, version, attachments and restrictions."""
    return PageDetail(
        connector.get_page(page_id),
        list(connector.list_attachments(page_id)),
        restrictions_of(connector, page_id),
    )


register(
    Operation(
        "attachments.upload",
        AREA,
        "Add an attachment",
        AttachmentUploadForm,
        upload_attachment,
        lambda a: f"Attach {a.get('filename')} to page {a.get('page_id')}",
        notes="Confluence keeps one file per name on a page: a file of the same name already "
        "there fails the operation with Confluence's message, and the file is left as it is.",
    )
)
register(
    Operation(
        "attachments.delete",
        AREA,
        "Delete an attachment",
        AttachmentForm,
        deletion("attachment", "delete_attachment", "attachment_id"),
        lambda a: f"Delete attachment {a.get('attachment_id')}",
    )
)
register(
    Operation(
        "spaces.export",
        AREA,
        "Export a space",
        SpaceExportForm,
        export_space,
        lambda a: f"Export the space {a.get('space')}",
        notes="Starts the export, polls it until it finishes, and stores the download link on the job.",
    )
)
