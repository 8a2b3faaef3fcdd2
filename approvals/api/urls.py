"""Routes of the REST API, mounted at /api/: v1 resources, the schema and its docs."""

from __future__ import annotations

from django.urls import include, path, re_path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerView,
)
from rest_framework.routers import DefaultRouter, SimpleRouter

from approvals.api import connector_resource
from approvals.api.audit import AuditEventViewSet
from approvals.api.errors import not_found
from approvals.api.grants import GrantViewSet
from approvals.api.jobs import ProvisioningJobViewSet
from approvals.api.reconciliations import ReconciliationViewSet
from approvals.api.requests import AccessRequestViewSet, ApprovalViewSet
from approvals.api.views import AccountViewSet, EntitlementViewSet

app_name = "api"

router = DefaultRouter()
router.register("entitlements", EntitlementViewSet, basename="entitlement")
router.register("accounts", AccountViewSet, basename="account")
router.register("requests", AccessRequestViewSet, basename="request")
router.register("approvals", ApprovalViewSet, basename="approval")
router.register("grants", GrantViewSet, basename="grant")
router.register("reconciliations", ReconciliationViewSet, basename="reconciliation")
router.register("provisioning-jobs", ProvisioningJobViewSet, basename="job")
router.register("audit-events", AuditEventViewSet, basename="audit-event")

# External IGA connector clients address resources as /connector/Account[/{id}].
connector_router = SimpleRouter(trailing_slash=False)
connector_router.register(
    "Account", connector_resource.ConnectorAccountViewSet, basename="connector-account"
)
connector_router.register(
    "Entitlement",
    connector_resource.ConnectorEntitlementViewSet,
    basename="connector-entitlement",
)
connector_router.register(
    "Job", connector_resource.ConnectorJobViewSet, basename="connector-job"
)

urlpatterns = [
    path("v1/connector/", include(connector_router.urls)),
    path("v1/ops/", include("approvals.api.operations")),  # issue 9: admin operations
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
    # Anything else under /api/ (a bad id in a path, a typo) is a JSON 404.
    re_path(r"^.*$", not_found),
]
