"""The platform's side on the shared local stack: a platform key made with the `carrier` CLI, and its calls."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from tests.stack import Stack
from tests.support import ROOT


class Platform:
    """A platform key (`carrier keys create --platform`), acting for tenants through `Carrier-Tenant`."""

    def __init__(self, stack: Stack) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        out = subprocess.run(
            [sys.executable, "-m", "carrier.cli", "keys", "create", "--platform", "--output", "json"],
            cwd=ROOT,
            env={**env, "CARRIER_STATE": str(stack.state_file)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        self.key = json.loads(out)["key"]
        self.stack = stack

    def api(self, method: str, path: str, body: Any = None, tenant: str | None = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self.key}", **({"Carrier-Tenant": tenant} if tenant else {})}
        response = self.stack.session.request(method, self.stack.url + path, json=body, headers=headers, timeout=60)
        return response.status_code, (response.json() if response.content else None)

    def onboard(self, tenant: str) -> str:
        """A new key for `tenant`, issued through /v1/admin."""
        status, issued = self.api("POST", f"/v1/admin/tenants/{tenant}/keys")
        assert status == 201, issued
        return str(issued["key"])

    def portal_session(self, tenant: str, **body: Any) -> dict[str, Any]:
        status, opened = self.api("POST", "/v1/portal-sessions", body or None, tenant=tenant)
        assert status == 201, opened
        return dict(opened)
