"""The api function serves the dashboard's files from a fixed table, with a strict content security policy."""

from __future__ import annotations

import json
import re

import pytest

from tests.support import ROOT, FakeContext, api_event, load_handler, template

DASHBOARD = ROOT / "functions" / "api" / "dashboard"


def get(path: str, **headers: str) -> dict:
    return load_handler("api").handler(api_event("GET", path, tenant=None, headers=headers), FakeContext())


def test_the_page_needs_no_key_and_points_at_its_own_assets(env: dict) -> None:
    response = get("/dashboard")
    assert response["statusCode"] == 200
    assert response["headers"]["Content-Type"].startswith("text/html")
    assert 'src="/dashboard/app.js"' in response["body"] and "{{base}}" not in response["body"]
    csp = response["headers"]["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert response["headers"]["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("name", sorted(p.name for p in DASHBOARD.iterdir()))
def test_every_file_is_served_with_its_type_and_nothing_from_elsewhere(env: dict, name: str) -> None:
    response = get(f"/dashboard/{name}")
    assert response["statusCode"] == 200
    expected = {"html": "text/html", "js": "text/javascript", "css": "text/css"}[name.rsplit(".", 1)[1]]
    assert response["headers"]["Content-Type"].startswith(expected)
    # No CDN, no web font, no remote script: every URL in the files is relative or the API's own.
    assert not re.search(r"(?:src|href)=\"(?:https?:)?//|@import|url\(\s*['\"]?(?:https?:)?//", response["body"])


@pytest.mark.parametrize("path", ["/dashboard/app.py", "/dashboard/..%2Fapp.py", "/dashboard/nope.js"])
def test_anything_else_is_404(env: dict, path: str) -> None:
    assert get(path)["statusCode"] == 404


def test_root_links_the_dashboard_for_browsers_and_api_clients(env: dict) -> None:
    assert 'href="dashboard"' in get("/", accept="text/html,application/xhtml+xml")["body"]
    assert '"dashboard":"/dashboard"' in get("/")["body"].replace(" ", "")


def test_the_template_routes_the_dashboard_without_the_authorizer() -> None:
    events = template()["Resources"]["ApiFunction"]["Properties"]["Events"]
    routes = {e["Properties"]["Path"]: e["Properties"].get("Auth", {}) for e in events.values()}
    assert routes["/dashboard"] == {"Authorizer": "NONE"}
    assert routes["/dashboard/{asset}"] == {"Authorizer": "NONE"}


def test_the_dashboard_keeps_no_copy_of_the_api_vocabularies() -> None:
    """Signature schemes, payload formats and delivery statuses come from the OpenAPI document's enums, so a row
    added to `carrier.schemes` or `carrier.formats` appears in the dashboard by itself."""
    from carrier.formats import FORMATS
    from carrier.records import DeliveryStatus
    from carrier.schemes import SCHEMES

    scripts = "".join((DASHBOARD / name).read_text() for name in ("app.js", "api.js", "ui.js"))
    names = [*SCHEMES, *FORMATS, *(s.value for s in DeliveryStatus)]
    assert [name for name in names if f'"{name}"' in scripts] == []
    for schema in ("PayloadFormat", "SignatureScheme", "DeliveryStatus"):
        assert f'"{schema}"' in scripts


def test_the_openapi_document_serves_the_enums_the_dashboard_reads(env: dict) -> None:
    """The dashboard's lists are these three `components.schemas` enums: each is its table, in the table's order."""
    from carrier.formats import FORMATS
    from carrier.records import DeliveryStatus
    from carrier.schemes import SCHEMES

    response = get("/openapi.json")
    schemas = json.loads(response["body"])["components"]["schemas"]
    assert schemas["SignatureScheme"]["enum"] == list(SCHEMES)
    assert schemas["PayloadFormat"]["enum"] == list(FORMATS)
    assert schemas["DeliveryStatus"]["enum"] == [s.value for s in DeliveryStatus]
