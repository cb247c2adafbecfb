"""The README's "Try it" walkthrough works as written against the local stack."""

from __future__ import annotations

import json
import re
import subprocess

from tests.receiver import Receiver
from tests.stack import Stack
from tests.support import ROOT


def walkthrough() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Try it", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)```", section, flags=re.S)
    return [b for b in blocks if "carrier receive" not in b]  # that one runs in its own terminal


def test_every_curl_example_works(stack: Stack, tmp_path) -> None:
    (tmp_path / ".carrier").mkdir()
    (tmp_path / ".carrier" / "local.json").write_text(json.dumps(stack.state))
    blocks = walkthrough()
    assert len(blocks) >= 5 and all("curl" in b or "export" in b for b in blocks)
    script = "set -euo pipefail\n" + "\n".join(blocks)
    with Receiver(port=9000) as receiver:
        result = subprocess.run(["bash", "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        stack.wait_for(lambda: len(receiver.requests) >= 2, what="the published and the test event")
    out = result.stdout
    assert '"secret":"whsec_' in out and '"status":"accepted"' in out and '"deliveries":' in out
    assert '"delivered":true' in out and '"previous_secret_expires_at":"' in out and '"recovered":' in out
    assert out.rstrip().endswith("204")
    assert '"validation_error"' not in out and '"not_found"' not in out and '"unauthorized"' not in out, out
