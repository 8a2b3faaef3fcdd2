"""How the OpenAPI schema describes the API: error answers, enum names.

Several models have a `status` or `kind` field with different choices; the choice
sets below give their enums stable names (SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema

from connectors.models import Account, Entitlement, Resource

ACCOUNT_STATUS_CHOICES = Account._meta.get_field("status").choices
ENTITLEMENT_KIND_CHOICES = Entitlement._meta.get_field("kind").choices
RESOURCE_KIND_CHOICES = Resource._meta.get_field("kind").choices


class PortalAutoSchema(AutoSchema):
    """Documents the error answers every API operation can give.

    401 without credentials, 403 outside one's permissions (or a missing CSRF token
    with a session), 404 for an unknown id or page, 400 for bad filters or bodies.
    An operation's own `extend_schema(responses=...)` wins over these.
    """

    def _get_response_bodies(self, direction: str = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        from approvals.api.errors import DetailSerializer, FieldErrorsSerializer

        errors: dict[str, Any] = {"401": DetailSerializer, "403": DetailSerializer}
        filters = getattr(self.view, "filterset_class", None) is not None
        if self._takes_input() or (filters and self._is_list_view()):
            errors["400"] = FieldErrorsSerializer
        if getattr(self.view, "detail", False) or self._is_list_view():
            errors["404"] = DetailSerializer
        for code, serializer in errors.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    serializer, code, ("application/json",), direction
                )
        return dict(sorted(responses.items()))

    def _takes_input(self) -> bool:
        return self.method in ("POST", "PUT", "PATCH") and bool(
            self.get_request_serializer()
        )
