"""Give every existing Application the default attribute mapping."""

from django.db import migrations

# A frozen copy of connectors.models.DEFAULT_ATTRIBUTE_MAPPINGS as of this migration:
# (atlassian, portal, direction, required, visible, recon key, read-only).
DEFAULT_ATTRIBUTE_MAPPINGS = (
    ("department", "department", "both", False, True, False, False),
    ("displayName", "displayName", "both", True, True, False, False),
    ("email", "email", "both", True, True, True, False),
    ("familyName", "lastName", "both", False, True, False, False),
    ("givenName", "firstName", "both", False, True, False, False),
    ("title", "jobTitle", "both", False, True, False, False),
    ("nickName", "nickName", "both", False, False, False, False),
    ("organization", "organizationName", "both", False, True, False, False),
    ("timezone", "timezone", "both", False, False, False, False),
    ("userName", "login", "none", True, True, False, False),
    ("id", "accountId", "to_portal", True, True, False, True),
    ("manager", "manager", "to_portal", False, True, False, False),
)


def add_default_mappings(apps, schema_editor):
    Application = apps.get_model("connectors", "Application")
    AttributeMapping = apps.get_model("connectors", "AttributeMapping")
    for application in Application.objects.all():
        if AttributeMapping.objects.filter(application=application).exists():
            continue
        AttributeMapping.objects.bulk_create(
            AttributeMapping(
                application=application,
                atlassian_attribute=atlassian,
                portal_attribute=portal,
                direction=direction,
                is_required=required,
                is_visible=visible,
                is_recon_key=recon_key,
                is_read_only=read_only,
                position=position,
            )
            for position, (
                atlassian,
                portal,
                direction,
                required,
                visible,
                recon_key,
                read_only,
            ) in enumerate(DEFAULT_ATTRIBUTE_MAPPINGS)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("connectors", "0002_attribute_mapping_and_run_heartbeat"),
    ]

    operations = [
        migrations.RunPython(add_default_mappings, migrations.RunPython.noop),
    ]
