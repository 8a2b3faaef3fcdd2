from django.apps import AppConfig


class ApprovalsConfig(AppConfig):
    name = "approvals"
    verbose_name = "Requests and approvals"

    def ready(self) -> None:
        from approvals import drift

        drift.connect_signals()
