from django.apps import AppConfig


class ApprovalsConfig(AppConfig):
    name = "approvals"
    verbose_name = "Requests and approvals"

    def ready(self) -> None:
        from approvals import catalog_audit, drift

        drift.connect_signals()
        catalog_audit.connect_signals()
        from approvals import birthright, ticket_trail  # noqa: F401 - issue 9 receivers

        birthright.connect_signals()
