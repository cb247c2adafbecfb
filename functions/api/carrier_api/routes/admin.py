"""/v1/admin: the platform's routes (a `ckp_` key only; for anyone else they do not exist: 404, `tenancy.gate`).

A tenant's keys, issued, listed and revoked by the platform's backend, so it never needs AWS credentials to
onboard a customer. The key is in the create answer only; lists show ids and creation times, never keys or hashes.
"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path

from carrier import runtime
from carrier.apikeys import check_tenant_id, issue_key, list_keys, revoke_key
from carrier.models.access import KeyList, TenantKeyCreated
from carrier.observability import logger
from carrier_api.http_errors import answers, json_response
from carrier_api.tenancy import caller

router = Router()

TenantId = Annotated[str, Path(description="The tenant's id (1 to 64 letters, digits, '-' or '_')", max_length=64)]
KeyId = Annotated[str, Path(description="Key id (key_...)", max_length=64)]


def _tenant(tenant_id: str) -> str:
    caller(router.current_event)  # the gate let only the platform through; this says so where it is used
    return check_tenant_id(tenant_id, field="tenant_id")


@router.post(
    "/v1/admin/tenants/<tenant_id>/keys",
    tags=["admin"],
    summary="Issue a tenant key (platform key only; the key is shown once)",
    responses=answers(201, 404),
)
def create_tenant_key(tenant_id: TenantId) -> Response[TenantKeyCreated]:
    issued = issue_key(_tenant(tenant_id), runtime.store(), runtime.clock())
    logger.info("tenant key issued", extra={"tenant_id": issued.tenant_id, "key_id": issued.key_id})
    created = TenantKeyCreated(key=issued.key, key_id=issued.key_id, tenant_id=tenant_id, created_at=issued.created_at)
    return json_response(201, created.model_dump(mode="json"))


@router.get(
    "/v1/admin/tenants/<tenant_id>/keys",
    tags=["admin"],
    summary="A tenant's keys: ids and creation times (platform key only)",
    responses=answers(200, 404),
)
def list_tenant_keys(tenant_id: TenantId) -> KeyList:
    return KeyList.model_validate({"data": list_keys(runtime.store(), _tenant(tenant_id))})


@router.delete(
    "/v1/admin/tenants/<tenant_id>/keys/<key_id>",
    tags=["admin"],
    summary="Revoke a tenant key (platform key only)",
    responses=answers(204, 404),
)
def revoke_tenant_key(tenant_id: TenantId, key_id: KeyId) -> Response[str]:
    revoke_key(runtime.store(), tenant_id=_tenant(tenant_id), key_id=key_id)
    logger.info("tenant key revoked", extra={"tenant_id": tenant_id, "key_id": key_id})
    return Response(status_code=204, content_type=content_types.APPLICATION_JSON, body="")
