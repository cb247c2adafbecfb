"""Reading `template.yaml`: a YAML loader for CloudFormation short-form tags and small queries.

Everything the local stack needs to know about Carrier (functions, their code directories, routes, the
queue the dispatcher polls) is read from the SAM template through these helpers, never duplicated.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = REPO_ROOT / "template.yaml"

SERVERLESS_FUNCTION = "AWS::Serverless::Function"
SERVERLESS_LAYER = "AWS::Serverless::LayerVersion"
SERVERLESS_HTTP_API = "AWS::Serverless::HttpApi"
SERVERLESS_STATE_MACHINE = "AWS::Serverless::StateMachine"

Template = dict[str, Any]


class TemplateError(ValueError):
    """The template does not have a shape the local stack understands."""


class CfnLoader(yaml.SafeLoader):
    """`yaml.SafeLoader` that understands `!Ref`, `!Sub`, `!GetAtt`, ... like `sam` and `aws cloudformation`.

    Timestamps stay strings (as in the SAM CLI), so `AWSTemplateFormatVersion: 2010-09-09` survives.
    """


def _intrinsic(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    tag = tag_suffix
    key = tag if tag in ("Ref", "Condition") else f"Fn::{tag}"
    value: Any
    if tag == "GetAtt" and isinstance(node, yaml.ScalarNode):
        value = str(loader.construct_scalar(node)).split(".", 1)
    elif isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    elif isinstance(node, yaml.MappingNode):
        value = loader.construct_mapping(node, deep=True)
    else:  # pragma: no cover - yaml has no other node kinds
        raise TemplateError(f"unsupported node for !{tag}")
    return {key: value}


def _timestamp_as_string(loader: yaml.SafeLoader, node: yaml.Node) -> str:
    assert isinstance(node, yaml.ScalarNode)
    return str(loader.construct_scalar(node))


CfnLoader.add_multi_constructor("!", _intrinsic)
CfnLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_string)


def parse_template(text: str) -> Template:
    """Parse a CloudFormation/SAM template written in YAML (or JSON, which is YAML)."""
    data = yaml.load(text, Loader=CfnLoader)  # noqa: S506 - CfnLoader is a SafeLoader
    if not isinstance(data, dict) or not isinstance(data.get("Resources"), dict):
        raise TemplateError("a template is a mapping with a Resources mapping")
    return data


def load_template(path: Path = TEMPLATE_PATH) -> Template:
    """Read and parse `template.yaml` (a fresh, mutable copy on every call)."""
    return parse_template(path.read_text(encoding="utf-8"))


def resources(template: Mapping[str, Any], resource_type: str | None = None) -> Iterator[tuple[str, Any]]:
    """(logical id, resource) pairs, optionally only those of one type, in template order."""
    for logical_id, resource in template.get("Resources", {}).items():
        if resource_type is None or resource.get("Type") == resource_type:
            yield logical_id, resource


def ref_target(value: Any) -> str | None:
    """The logical id a `{"Ref": X}` or `{"Fn::GetAtt": [X, attr]}` points at, else None."""
    if isinstance(value, Mapping):
        if "Ref" in value and isinstance(value["Ref"], str):
            return value["Ref"]
        getatt = value.get("Fn::GetAtt")
        if isinstance(getatt, list) and getatt and isinstance(getatt[0], str):
            return getatt[0]
    return None


def function_globals(template: Mapping[str, Any]) -> dict[str, Any]:
    return dict(template.get("Globals", {}).get("Function", {}) or {})


@dataclass(frozen=True)
class FunctionSource:
    """Where a function's code lives in the repository, read from the SAM template."""

    logical_id: str
    code_dir: Path
    handler: str
    timeout: int = 3
    memory_size: int = 128
    events: Mapping[str, Any] = field(default_factory=dict)

    @property
    def module_file(self) -> Path:
        """`functions/api` + `app.handler` -> `functions/api/app.py`."""
        module, _, _ = self.handler.rpartition(".")
        if not module:
            raise TemplateError(f"{self.logical_id}: Handler {self.handler!r} is not 'module.function'")
        return self.code_dir.joinpath(*module.split(".")).with_suffix(".py")

    @property
    def attribute(self) -> str:
        return self.handler.rpartition(".")[2]


def function_sources(template: Mapping[str, Any], root: Path = REPO_ROOT) -> dict[str, FunctionSource]:
    """Every `AWS::Serverless::Function` with a local `CodeUri`, by logical id (Globals applied)."""
    defaults = function_globals(template)
    found: dict[str, FunctionSource] = {}
    for logical_id, resource in resources(template, SERVERLESS_FUNCTION):
        props = {**defaults, **(resource.get("Properties") or {})}
        code_uri = props.get("CodeUri")
        handler = props.get("Handler")
        if not isinstance(code_uri, str) or code_uri.startswith("s3://") or not isinstance(handler, str):
            continue  # inline or remote code: nothing to run locally
        found[logical_id] = FunctionSource(
            logical_id=logical_id,
            code_dir=(root / code_uri).resolve(),
            handler=handler,
            timeout=int(props.get("Timeout", 3)),
            memory_size=int(props.get("MemorySize", 128)),
            events=copy.deepcopy(props.get("Events") or {}),
        )
    return found


def sqs_event_sources(template: Mapping[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(function logical id, queue logical id, event Properties) for every `Type: SQS` function event."""
    found = []
    for logical_id, resource in resources(template, SERVERLESS_FUNCTION):
        for event in (resource.get("Properties", {}).get("Events") or {}).values():
            if event.get("Type") != "SQS":
                continue
            props = dict(event.get("Properties") or {})
            queue = ref_target(props.get("Queue"))
            if queue is None:
                raise TemplateError(f"{logical_id}: SQS event Queue must be !GetAtt <Queue>.Arn")
            found.append((logical_id, queue, props))
    return found


def layer_dirs(template: Mapping[str, Any], root: Path = REPO_ROOT) -> list[Path]:
    """Local `ContentUri` directories of every `AWS::Serverless::LayerVersion`."""
    dirs = []
    for _, resource in resources(template, SERVERLESS_LAYER):
        uri = (resource.get("Properties") or {}).get("ContentUri")
        if isinstance(uri, str) and not uri.startswith("s3://"):
            dirs.append((root / uri).resolve())
    return dirs
