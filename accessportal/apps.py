from django.apps import AppConfig


class AccessPortalConfig(AppConfig):
    name = "accessportal"
    verbose_name = "Identities"
