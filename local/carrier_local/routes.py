"""The HTTP API's route table, read from the template, and the route API Gateway picks for a request.

Routes come from the functions' `Type: HttpApi` events; each route's Lambda REQUEST authorizer comes from the
API's `Auth` (its own `Properties` over `Globals.HttpApi`). Only what runs locally is accepted (Lambda
authorizers, payload format 2.0, one HTTP API, no `$default` route): anything else is a `TemplateError`,
never a silently different API. `match_route` chooses as API Gateway does: most specific route first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from carrier_local.template import (
    SERVERLESS_FUNCTION,
    SERVERLESS_HTTP_API,
    TemplateError,
    ref_target,
    resources,
)

IMPLICIT_API = "ServerlessHttpApi"
"""The logical id SAM gives the HTTP API it creates for `HttpApi` events without an `ApiId`."""


# --------------------------------------------------------------------------------------------------
# Route table


@dataclass(frozen=True)
class Authorizer:
    """A Lambda REQUEST authorizer of an HTTP API."""

    name: str
    function: str
    """Logical id of the authorizer function."""
    identity_headers: tuple[str, ...] = ("authorization",)
    identity_query_strings: tuple[str, ...] = ()
    simple_responses: bool = True
    payload_format_version: str = "2.0"


@dataclass(frozen=True)
class Route:
    """One `METHOD /path` route and the function behind it."""

    method: str
    path: str
    function: str
    """Logical id of the function the route integrates with."""
    authorizer: Authorizer | None = None
    api: str = IMPLICIT_API

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"


def _api_properties(template: Mapping[str, Any], api: str) -> dict[str, Any]:
    globals_ = dict((template.get("Globals") or {}).get("HttpApi") or {})
    resource = (template.get("Resources") or {}).get(api)
    props = dict((resource or {}).get("Properties") or {})
    if resource is not None and resource.get("Type") != SERVERLESS_HTTP_API:
        raise TemplateError(f"ApiId {api} is not an {SERVERLESS_HTTP_API}")
    auth = {**(globals_.get("Auth") or {}), **(props.get("Auth") or {})}
    return {**globals_, **props, "Auth": auth}


def _authorizer(api: str, name: str, config: Mapping[str, Any]) -> Authorizer:
    if "JwtConfiguration" in config or "FunctionArn" not in config:
        raise TemplateError(f"{api}: authorizer {name} is not a Lambda authorizer (only those run locally)")
    function = ref_target(config["FunctionArn"])
    if function is None:
        raise TemplateError(f"{api}: authorizer {name} FunctionArn must be !GetAtt <Function>.Arn")
    version = str(config.get("AuthorizerPayloadFormatVersion", "2.0"))
    if version != "2.0":
        raise TemplateError(f"{api}: authorizer {name} uses payload format {version}; only 2.0 runs locally")
    identity = config.get("Identity") or {}
    headers = identity.get("Headers", ["Authorization"] if not identity else [])
    return Authorizer(
        name=name,
        function=function,
        identity_headers=tuple(str(h).lower() for h in headers),
        identity_query_strings=tuple(str(q) for q in identity.get("QueryStrings", [])),
        simple_responses=bool(config.get("EnableSimpleResponses", False)),
        payload_format_version=version,
    )


def _route_authorizer(api: str, api_props: Mapping[str, Any], event_props: Mapping[str, Any]) -> Authorizer | None:
    auth = api_props.get("Auth") or {}
    name = (event_props.get("Auth") or {}).get("Authorizer", auth.get("DefaultAuthorizer"))
    if name is None or name == "NONE":
        return None
    configs = auth.get("Authorizers") or {}
    if name not in configs:
        raise TemplateError(f"{api}: authorizer {name} is not defined in Auth.Authorizers")
    return _authorizer(api, name, configs[name])


def routes_from_template(template: Mapping[str, Any], api: str | None = None) -> list[Route]:
    """Every route of the template's HTTP API, from its functions' `Type: HttpApi` events.

    With several HTTP APIs in the template, `api` (a logical id) says which one to serve.
    """
    routes: list[Route] = []
    for function, resource in resources(template, SERVERLESS_FUNCTION):
        for event_name, event in ((resource.get("Properties") or {}).get("Events") or {}).items():
            if event.get("Type") != "HttpApi":
                continue
            props = event.get("Properties") or {}
            route_api = ref_target(props.get("ApiId")) or IMPLICIT_API
            if api is not None and route_api != api:
                continue
            if "Path" not in props and "Method" not in props:
                raise TemplateError(f"{function}.{event_name}: the $default route is not supported locally")
            version = str(props.get("PayloadFormatVersion", "2.0"))
            if version != "2.0":
                raise TemplateError(f"{function}.{event_name}: payload format {version} is not supported")
            api_props = _api_properties(template, route_api)
            routes.append(
                Route(
                    method=str(props.get("Method", "ANY")).upper(),
                    path=str(props.get("Path", "/")),
                    function=function,
                    authorizer=_route_authorizer(route_api, api_props, props),
                    api=route_api,
                )
            )
    apis = {route.api for route in routes}
    if len(apis) > 1:
        raise TemplateError(f"several HTTP APIs ({', '.join(sorted(apis))}): say which one to serve")
    keys = [route.key for route in routes]
    duplicates = {key for key in keys if keys.count(key) > 1}
    if duplicates:
        raise TemplateError(f"duplicate routes: {', '.join(sorted(duplicates))}")
    return routes


# --------------------------------------------------------------------------------------------------
# Route matching


def _match_path(pattern: str, path: str) -> dict[str, str] | None:
    """Path parameters if `path` matches `pattern` (`/a/{id}/{proxy+}`), else None."""
    wanted = pattern.split("/")
    given = path.split("/")
    params: dict[str, str] = {}
    for index, segment in enumerate(wanted):
        if segment.startswith("{") and segment.endswith("+}"):
            if index != len(wanted) - 1:
                return None
            rest = "/".join(given[index:])
            if not rest:
                return None
            params[segment[1:-2]] = unquote(rest)
            return params
        if index >= len(given):
            return None
        if segment.startswith("{") and segment.endswith("}"):
            if not given[index]:
                return None
            params[segment[1:-1]] = unquote(given[index])
        elif segment != given[index]:
            return None
    return params if len(given) == len(wanted) else None


def _specificity(route: Route) -> tuple[int, int, int, int]:
    """Sort key, most specific first: no greedy variable, fewer variables, more literals, exact method."""
    segments = route.path.split("/")
    greedy = int(any(s.startswith("{") and s.endswith("+}") for s in segments))
    variables = sum(1 for s in segments if s.startswith("{"))
    return (greedy, variables, -(len(segments) - variables), int(route.method == "ANY"))


def match_route(routes: Iterable[Route], method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    """The route API Gateway would choose for `method path`, with its path parameters."""
    method = method.upper()
    best: tuple[tuple[int, int, int, int], Route, dict[str, str]] | None = None
    for route in routes:
        if route.method not in (method, "ANY"):
            continue
        params = _match_path(route.path, path)
        if params is None:
            continue
        rank = _specificity(route)
        if best is None or rank < best[0]:
            best = (rank, route, params)
    return None if best is None else (best[1], best[2])


__all__ = [
    "IMPLICIT_API",
    "Authorizer",
    "Route",
    "match_route",
    "routes_from_template",
]
