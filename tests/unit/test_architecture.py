"""The shape of the code, checked: the domain package's import graph, the lint gate, the test levels, file sizes."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CARRIER = ROOT / "layers" / "core" / "carrier"
MAX_LINES = 360  # about 350: a file over this holds more than one concept, split it


def module_name(path: Path) -> str:
    parts = path.relative_to(CARRIER.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking_only(node: ast.If) -> bool:
    return isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


def imports_of(path: Path) -> set[str]:
    """Every module this file imports at run time (module level or inside functions; not TYPE_CHECKING)."""
    tree = ast.parse(path.read_text())
    skipped = {
        id(n)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and _type_checking_only(node)
        for child in node.body
        for n in ast.walk(child)
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found |= {node.module, *(f"{node.module}.{alias.name}" for alias in node.names)}
    return found


def carrier_graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in CARRIER.rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        imported = {m for m in imports_of(path) if m in modules and m != name}
        # `from carrier.store import keys` imports the submodule, not the package's own names
        graph[name] = {m for m in imported if not any(other.startswith(m + ".") for other in imported)}
    return graph


def test_the_domain_package_has_no_import_cycle() -> None:
    graph = carrier_graph()
    done: set[str] = set()

    def visit(node: str, trail: list[str]) -> None:
        if node in trail:
            cycle = [*trail[trail.index(node) :], node]
            pytest.fail("import cycle: " + " -> ".join(cycle))
        if node in done:
            return
        for target in sorted(graph[node]):
            visit(target, [*trail, node])
        done.add(node)

    for name in sorted(graph):
        visit(name, [])
    assert len(graph) > 30  # the walk saw the whole package


def test_the_domain_package_never_imports_upward() -> None:
    """carrier is the bottom layer: handlers, the local stack and the tests use it, never the other way."""
    upward = re.compile(r"^(functions|carrier_local|carrier_api|tests|bench|app)(\.|$)")
    offenders = {
        module_name(path): sorted(m for m in imports_of(path) if upward.match(m)) for path in CARRIER.rglob("*.py")
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_a_wrong_call_between_carrier_modules_fails_mypy(tmp_path: Path) -> None:
    """Given a module calling carrier and carrier_local with the wrong arity, the repo's mypy config refuses it
    (with carrier resolved as Any, as once happened, it would pass)."""
    probe = tmp_path / "probe.py"
    probe.write_text(
        "from carrier.signing import sign\n"
        "from carrier_local.handlers import load_handler\n"
        "sign('standard-webhooks')\n"
        "load_handler()\n"
    )
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental", str(probe)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert 'Missing positional argument "request" in call to "sign"' in run.stdout
    assert 'Missing positional argument "path" in call to "load_handler"' in run.stdout


def test_every_test_folder_is_a_make_level() -> None:
    """`make unit|integration|e2e|security|dashboard`: each folder of tests has its target, so none is forgotten."""
    makefile = (ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z][a-z0-9 ]*):", makefile, re.MULTILINE))
    levels = {name for line in targets for name in line.split()}
    folders = {p.parent.name for p in (ROOT / "tests").glob("*/test_*.py")}
    assert folders - levels == set()
    assert "pr" in levels


def test_no_source_file_holds_more_than_one_concept() -> None:
    """Code outside tests/ stays under about 350 lines (the dashboard's browser assets are exempt)."""
    sources = [
        *(ROOT / "layers").rglob("*.py"),
        *(ROOT / "local").rglob("*.py"),
        *(ROOT / "functions").rglob("*.py"),
        *(ROOT / "bench").rglob("*.py"),
    ]
    long = {str(p.relative_to(ROOT)): n for p in sources if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert long == {}
