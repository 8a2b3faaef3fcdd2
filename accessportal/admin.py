"""Admin for identities."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from accessportal.models import User


@admin.register(User)
class IdentityAdmin(UserAdmin):
    list_display = (
        "username",
        "email",
        "display_name",
        "department",
        "manager",
        "source",
        "is_active",
    )
    list_filter = ("source", "is_active", "is_staff", "department")
    search_fields = ("username", "email", "display_name", "first_name", "last_name")
    list_select_related = ("manager",)
    raw_id_fields = ("manager",)
    fieldsets = (
        *UserAdmin.fieldsets,
        (
            "Profile",
            {
                "fields": (
                    "display_name",
                    "department",
                    "job_title",
                    "organization_name",
                    "nickname",
                    "timezone",
                    "manager",
                    "source",
                    "deactivated_at",
                )
            },
        ),
    )
