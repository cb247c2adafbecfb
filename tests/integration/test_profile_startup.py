"""A profile that cannot be used stops start-up, naming the file and the key: `make local` (python -m carrier_local)
before anything starts, and a deployed function at its cold start (carrier.runtime's import)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support import ROOT

PYTHONPATH = os.pathsep.join(str(ROOT / p) for p in ("layers/core", "local"))


def run(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": PYTHONPATH, **env}
    return subprocess.run(args, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120)


def test_make_local_refuses_an_unknown_profile_listing_the_known_ones(tmp_path: Path) -> None:
    done = run([sys.executable, "-m", "carrier_local", "--state-file", str(tmp_path / "s.json")], PROFILE="acme")
    assert done.returncode == 1
    assert "unknown profile 'acme'" in done.stderr and "techsolut" in done.stderr
    assert not (tmp_path / "s.json").exists()


def test_a_function_does_not_start_with_a_malformed_profile(tmp_path: Path) -> None:
    # a copy of the layer's profiles with one typo, as an operator might deploy it
    broken = (ROOT / "profiles" / "tchek.yaml").read_text().replace("payload_format: data", "payload_format: dta")
    script = f"import carrier.profile as p, pathlib; p.PROFILES_DIR = pathlib.Path({str(tmp_path)!r}); import carrier.runtime"
    (tmp_path / "tchek.yaml").write_text(broken)
    done = run([sys.executable, "-c", script], CARRIER_PROFILE="tchek")
    assert done.returncode != 0
    assert f"{tmp_path / 'tchek.yaml'}: key webhooks.payload_format" in done.stderr and "'dta'" in done.stderr
