"""Management API: the Lambda handler of one Powertools resolver (`carrier_api.resolver`: its middleware, the
OpenAPI document and Swagger UI, the exception handlers, one `Router` per resource) and the profile's spelling at
the edge (`carrier_api.view`). Routes parse and answer; `carrier.*` decides.

Cold start: importing this file builds nothing. The resolver, with its models, validation and OpenAPI document,
and the view are imported by the first request (Powertools' `LazyLoader`), once per container.
"""

from __future__ import annotations

from threading import Lock
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.shared.lazy_import import LazyLoader

import carrier_api  # noqa: F401 (at import: its modules are found through it later, from the code directory)
from carrier.observability import observed

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from carrier_api import resolver, view
else:
    resolver = LazyLoader("resolver", globals(), "carrier_api.resolver")
    view = LazyLoader("view", globals(), "carrier_api.view")

# Lambda hands an instance one request at a time, and the resolver keeps the current request on itself
# (`current_event`); the local stack serves concurrent requests from this one module, so they take turns here.
ONE_AT_A_TIME = Lock()


@observed
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    with ONE_AT_A_TIME:
        return view.answer(resolver.resolve(view.request(event), context), event)
