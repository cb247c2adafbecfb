"""What reaches a tenant as an error is said in plain words: no pydantic type tags, no aiohttp class names."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from carrier.models.webhooks import WebhookPatch


@pytest.mark.parametrize("value", [{"nested": 1}, [], [[1]], None])
def test_a_filter_value_of_no_accepted_kind_is_one_error_at_its_key(value: object) -> None:
    with pytest.raises(ValidationError) as raised:
        WebhookPatch.model_validate({"filters": {"project_id": value}})
    [error] = raised.value.errors()
    assert error["loc"] == ("filters", "project_id")
    assert error["msg"] == "a filter value is a string, a number, a boolean or a list of 1 to 100 of them"


@pytest.mark.parametrize("value", ["p1", 3, 1.5, True, ["a", 2]])
def test_accepted_filter_values_still_pass(value: object) -> None:
    assert WebhookPatch.model_validate({"filters": {"k": value}}).filters == {"k": value}
