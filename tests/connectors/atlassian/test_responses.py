"""Response models: a body of the wrong shape is named, not a KeyError."""

from __future__ import annotations

import pytest

from connectors.atlassian.responses import MalformedResponse, Model, parse_model
from connectors.base import ApiFamily


class _Thing(Model):
    id: str
    count: int


def test_a_malformed_body_raises_a_clear_error_not_a_key_error():
    with pytest.raises(
        MalformedResponse, match="Unexpected thing from the jira API: count"
    ):
        parse_model(_Thing, {"id": "1"}, family=ApiFamily.JIRA, what="thing")
