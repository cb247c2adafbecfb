"""Path parameters more than one route module takes (their OpenAPI description and length limit)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path

WebhookId = Annotated[str, Path(description="Webhook id (wh_..., or the profile's prefix)", max_length=64)]
DeliveryId = Annotated[str, Path(description="Delivery id (del_...)", max_length=64)]
