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

    401 without credentials; 403 outside one's permissions (or a session without its
    CSRF token); 404 for an unknown id in the path or a page past the last; 400 for a
    bad body, filter or page. An operation's own `extend_schema(responses=...)` wins.
    Filters ignore an empty value (`?state=`), and the schema says so.
    """

    def _get_parameters(self) -> list[dict[str, Any]]:
        parameters = super()._get_parameters()
        filtered = {p["name"] for p in self._get_filter_parameters()}
        for parameter in parameters:
            if parameter["in"] == "query" and parameter["name"] in filtered:
                parameter["allowEmptyValue"] = True
        return parameters

    def _get_response_bodies(self, direction: str = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        from approvals.api.errors import DetailSerializer, FieldErrorsSerializer

        errors: dict[str, Any] = {"401": DetailSerializer, "403": DetailSerializer}
        queried = any(p["in"] == "query" for p in self._get_parameters())
        if self._takes_input() or queried:
            errors["400"] = FieldErrorsSerializer
        if "{" in self.path or self._is_list_view():
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
