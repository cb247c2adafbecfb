"""HTTP API Lambda authorizer (payload 2.0, simple responses): Bearer credential -> `{tenant_id, role, ...}`.

A tenant key (`ck_`), a platform key (`ckp_`) or a portal session token (`cks_`), resolved by `carrier.access`;
the context is `access.Principal.context()`. An unknown, revoked or expired credential is authorized with an empty
context so that the api answers 401 with a JSON body (an HTTP API authorizer can only deny with 403); the api
refuses every request without a principal. The answer depends on `Authorization` alone (the template's identity
source, cached for ReauthorizeEvery): `Carrier-Tenant` is read by the api on every request, and a session's end
and revocation are checked by the api on every request too, so a cached answer never outlives either.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_lambda_powertools.shared.lazy_import import LazyLoader

from carrier.observability import count, logger, observed

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from carrier import access, runtime
else:  # imported by the first invocation (settings, profile, store, pydantic): the cold import holds none of it
    access = LazyLoader("access", globals(), "carrier.access")
    runtime = LazyLoader("runtime", globals(), "carrier.runtime")


@observed
def handler(event: dict, context: LambdaContext) -> dict:
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    principal = access.resolve(headers.get("authorization"), runtime.store(), runtime.clock().now())
    if principal is None:
        logger.info("unknown, malformed or expired credential")
        count("ApiKeysRejected")
        return {"isAuthorized": True, "context": {"tenant_id": "", "role": ""}}
    logger.append_keys(tenant_id=principal.tenant_id, role=principal.role)
    return {"isAuthorized": True, "context": principal.context()}
