from django.apps import AppConfig


class ConnectorsConfig(AppConfig):
    name = "connectors"
    verbose_name = "Atlassian catalog"

    def ready(self) -> None:
        from connectors import signals  # noqa: F401  (connects the receivers)
