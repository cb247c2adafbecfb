"""The suite's own pieces, without a stack: every doc file is the doc's text, every curl file parses."""

from __future__ import annotations

import json

import pytest

from tests.conformance.harness import HERE, doc_text, parse_curl
from tests.support import ROOT

SEEDS = ROOT.parent / "shared" / "seeds"  # the seed docs, beside the repository (absent from a lone clone)
HOSTS = {"seed_000": "https://api.techsolut.fr/", "seed_004": "https://api.aiplatform.io/"}
RESTORED = {  # files whose code the page garbled: compared line by line without indentation, or without added lines
    "seed_001/fastapi_results.py.txt",
    "seed_001/fastapi_validate.py.txt",
    "seed_002/express_webhook.js",
}
DOC_FILES = sorted(p for p in HERE.glob("seed_*/**/*") if p.is_file())


def seed_doc(path_in_suite: str) -> str:
    number = path_in_suite.split("/")[0].removeprefix("seed_")
    [doc] = SEEDS.glob(f"{number}_*.txt")
    return doc.read_text()


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the seed docs (shared/seeds) are not beside the repository")
@pytest.mark.parametrize("path", DOC_FILES, ids=lambda p: str(p.relative_to(HERE)))
def test_each_doc_file_is_the_docs_text(path) -> None:
    name = str(path.relative_to(HERE))
    doc, text = seed_doc(name), doc_text(path)
    if name not in RESTORED:
        assert text in doc + "\n", f"{name} is not a verbatim piece of the doc"
        return
    kept = [line.strip() for line in text.splitlines() if "// added" not in line]
    lines = [line.strip() for line in doc.splitlines()]
    starts = [i for i, line in enumerate(lines) if line == kept[0]]
    assert any(lines[i : i + len(kept)] == kept for i in starts), f"{name} is not the doc's code, line for line"


@pytest.mark.parametrize("path", sorted(HERE.glob("seed_*/*.curl")), ids=lambda p: str(p.relative_to(HERE)))
def test_each_curl_file_parses_as_curl_reads_it(path) -> None:
    command = parse_curl(doc_text(path))
    assert command.method in ("GET", "POST", "PUT", "PATCH", "DELETE")
    assert command.url.startswith(HOSTS[path.parent.name]), command.url
    assert command.headers["Authorization"] == "Bearer YOUR_API_KEY"
    if command.body is not None:
        assert command.headers["Content-Type"] == "application/json"
        assert isinstance(json.loads(command.body), dict)
