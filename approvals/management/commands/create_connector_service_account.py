"""Create (or update) the service account external IGA systems use for the connector API."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accessportal.models import User
from approvals import audit
from approvals.api.permissions import CONNECTOR_SERVICE_GROUP


class Command(BaseCommand):
    help = (
        "Create or update a service account for the connector resource API "
        f"(/api/v1/connector/, HTTP Basic). It joins the {CONNECTOR_SERVICE_GROUP!r} "
        "group. Without --password a strong password is generated and printed once."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")
        source = parser.add_mutually_exclusive_group()
        source.add_argument("--password", help="Use this password")
        source.add_argument("--password-file", help="Read the password from a file")
        parser.add_argument(
            "--rotate",
            action="store_true",
            help="Generate a new password for an existing account",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        username = options["username"].strip()
        if not username:
            raise CommandError("Give a username.")
        password = self.chosen_password(options)
        with transaction.atomic():
            user, created = User.objects.get_or_create(
                username=username,
                defaults={"display_name": f"Connector service ({username})"},
            )
            if user.is_staff or user.is_superuser:
                raise CommandError(
                    f"{username} is an administrator; use a dedicated account."
                )
            generated = None
            if password is None and (created or options["rotate"]):
                password = generated = secrets.token_urlsafe(24)
            if password is not None:
                self.check_password(password, user)
                user.set_password(password)
            user.is_active = True
            user.save()
            group, _ = Group.objects.get_or_create(name=CONNECTOR_SERVICE_GROUP)
            user.groups.add(group)
            audit.record(
                "identity.service_account",
                target=user,
                after={"group": CONNECTOR_SERVICE_GROUP, "created": created},
                message=(
                    "Connector service account "
                    + ("created" if created else "updated")
                    + ("; password set" if password is not None else "")
                    + " (manage.py create_connector_service_account)"
                ),
            )
        self.report(user, created=created, generated=generated)

    def chosen_password(self, options: dict[str, Any]) -> str | None:
        if options["password_file"]:
            return Path(options["password_file"]).read_text().strip()
        return options["password"]

    def check_password(self, password: str, user: User) -> None:
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error

    def report(self, user: User, *, created: bool, generated: str | None) -> None:
        verb = "Created" if created else "Updated"
        self.stdout.write(
            f"{verb} connector service account {user.username!r} "
            f"(group {CONNECTOR_SERVICE_GROUP!r})."
        )
        if generated:
            self.stdout.write(f"Password (shown once): {generated}")
        self.stdout.write(
            "Configure the IGA connector with HTTP Basic authentication and the base "
            "URL <portal>/api/v1/connector/ (resources Account and Entitlement)."
        )
