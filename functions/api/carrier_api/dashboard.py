"""The public pages: `/` (links, or a JSON description for a program) and the dashboard's static files.

The dashboard is a single page with its scripts and styles in `functions/api/dashboard/`, served by name
from a fixed table: nothing else is served, and no path from the request reaches the disk. A tenant signs
in with its API key and every call the page makes is an ordinary API call, so none of this needs a key.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.exceptions import NotFoundError

from carrier import __version__
from carrier_api.http_errors import json_response

router = Router()

DASHBOARD_DIR = Path(__file__).parent.parent / "dashboard"  # functions/api/dashboard
DASHBOARD_ASSETS = {  # name -> content type; nothing else is served (no path from the request reaches the disk)
    "index.html": "text/html; charset=utf-8",
    "index-links.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "api.js": "text/javascript; charset=utf-8",
    "ui.js": "text/javascript; charset=utf-8",
    "health.js": "text/javascript; charset=utf-8",
    "portal.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
}
DASHBOARD_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


def asset_response(name: str, base: str | None = None) -> Response[Any]:
    body = (DASHBOARD_DIR / name).read_text(encoding="utf-8")
    if base is not None:  # where the page's relative links point: the API may sit under a path prefix
        body = body.replace("{{base}}", html.escape(base, quote=True))
    return Response(status_code=200, content_type=DASHBOARD_ASSETS[name], body=body, headers=DASHBOARD_HEADERS)


@router.get("/", include_in_schema=False)
def index() -> Response[Any]:
    links = {"dashboard": "/dashboard", "docs": "/docs", "openapi": "/openapi.json"}
    if "text/html" in (router.current_event.headers.get("accept") or ""):  # a browser: a page of links
        return asset_response("index-links.html")
    return json_response(200, {"name": "Carrier", "version": __version__, **links})


@router.get("/dashboard", include_in_schema=False)
def dashboard_page() -> Response[Any]:
    """The single-page dashboard; its assets sit beside it (a tenant signs in with its API key)."""
    return asset_response("index.html", base=router.current_event.path.rstrip("/") + "/")


@router.get("/dashboard/<asset>", include_in_schema=False)
def dashboard_asset(asset: str) -> Response[Any]:
    if asset not in DASHBOARD_ASSETS:
        raise NotFoundError(asset)
    return asset_response(asset)
