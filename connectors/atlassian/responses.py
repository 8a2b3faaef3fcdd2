"""Response models of every Atlassian API family and their validation.

`Model` is the base of the pydantic models a client parses an answer into at the
boundary; `parse_model` and `parse_models` validate one object or a page of them and
raise `MalformedResponse` naming what did not have the documented shape.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import pydantic

from connectors.base import PermanentError

if TYPE_CHECKING:
    from connectors.base import ApiFamily

ModelT = TypeVar("ModelT", bound=pydantic.BaseModel)


class MalformedResponse(PermanentError):
    """Atlassian answered 2xx with a body that does not have the documented shape."""


def _number_as_text(value: Any) -> Any:
    return (
        str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    )


# Atlassian sends some ids as numbers in one API and strings in another (Jira project
# id, Confluence permission id); we keep them as text.
TextId = Annotated[str, pydantic.BeforeValidator(_number_as_text)]


class Model(pydantic.BaseModel):
    """Base of the response models: immutable, unknown keys ignored, aliases allowed."""

    model_config = pydantic.ConfigDict(
        frozen=True, extra="ignore", populate_by_name=True
    )


def parse_model(
    model: type[ModelT], data: Any, *, family: ApiFamily, what: str
) -> ModelT:
    """Validate one response object; raise MalformedResponse naming what was wrong."""
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        raise malformed(exc, family, what) from None


def parse_models(
    model: type[ModelT], items: list[Any], *, family: ApiFamily, what: str
) -> list[ModelT]:
    """Validate a page of response objects at once; MalformedResponse names the item.

    One validator call per page instead of one per item: a page of 50 Jira users
    costs about 60 % of validating them one by one.
    """
    try:
        return _list_adapter(model).validate_python(items)
    except pydantic.ValidationError as exc:
        raise malformed(exc, family, what) from None


@functools.cache
def _list_adapter(model: type[ModelT]) -> pydantic.TypeAdapter[list[ModelT]]:
    return pydantic.TypeAdapter(list[model])  # type: ignore[valid-type]


def malformed(
    exc: pydantic.ValidationError, family: ApiFamily, what: str
) -> MalformedResponse:
    """The MalformedResponse naming the first problems of a validation error."""
    problems = "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or '<body>'}: {err['msg']}"
        for err in exc.errors()[:3]
    )
    message = f"Unexpected {what} from the {family.value} API: {problems}"
    return MalformedResponse(message, family=family.value)
