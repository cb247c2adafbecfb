"""From `template.yaml` to the CloudFormation template moto's CloudFormation creates (pure functions on dicts).

The SAM template is translated with `aws_sam_translator`, offline: local `CodeUri`/`ContentUri` point at a
placeholder zip (the real code runs in-process), local definition files are inlined, and what moto would
ignore (a state machine's `DefinitionSubstitutions`) is folded into what it resolves. The template on disk
is never changed: every step works on a copy.
"""

from __future__ import annotations

import copy
import io
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from carrier_local.template import (
    REPO_ROOT,
    SERVERLESS_FUNCTION,
    SERVERLESS_LAYER,
    SERVERLESS_STATE_MACHINE,
    CfnLoader,
    Template,
    resources,
)


class StackError(RuntimeError):
    """The local stack could not be created as the template describes it.

    Raised by every step of `LocalStack.start`; it lives here, in the step nothing else depends on, so that
    `stack`, `provision` and this module share it without an import cycle.
    """


def placeholder_zip() -> bytes:
    """The code package every function and layer points at: the real code runs in-process."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README.txt", "carrier_local runs the handlers in-process; this package is a placeholder.\n")
    return buffer.getvalue()


def _is_local_path(value: Any) -> bool:
    return isinstance(value, str) and not value.startswith("s3://")


def _read_definition(path: Path) -> Any:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=CfnLoader)  # noqa: S506 - a SafeLoader


def prepare_for_translation(template: Template, code_uri: str, root: Path = REPO_ROOT) -> Template:
    """A copy of the SAM template the translator accepts offline.

    Local `CodeUri`/`ContentUri` become `code_uri` (an `s3://` location holding a placeholder zip);
    local `DefinitionUri` files are inlined (`Definition` for state machines, `DefinitionBody` for APIs),
    so moto gets the real definitions.
    """
    prepared = copy.deepcopy(template)
    function_globals = (prepared.get("Globals") or {}).get("Function") or {}
    if _is_local_path(function_globals.get("CodeUri")):
        function_globals["CodeUri"] = code_uri
    for _, resource in resources(prepared):
        props = resource.get("Properties")
        if not isinstance(props, dict):
            continue
        kind = resource.get("Type")
        if kind == SERVERLESS_FUNCTION and _is_local_path(props.get("CodeUri")):
            props["CodeUri"] = code_uri
        elif kind == SERVERLESS_LAYER and _is_local_path(props.get("ContentUri")):
            props["ContentUri"] = code_uri
        elif _is_local_path(props.get("DefinitionUri")):
            definition = _read_definition(root / props.pop("DefinitionUri"))
            props["Definition" if kind == SERVERLESS_STATE_MACHINE else "DefinitionBody"] = definition
    return prepared


def _literal_join(value: Any) -> str | None:
    """The string a `Fn::Join` of literal strings builds (the translator's DefinitionString), else None."""
    if isinstance(value, str):
        return value
    join = value.get("Fn::Join") if isinstance(value, dict) else None
    if isinstance(join, list) and len(join) == 2 and all(isinstance(p, str) for p in join[1]):
        return str(join[0]).join(join[1])
    return None


def fold_definition_substitutions(cfn: Template) -> None:
    """moto ignores a state machine's `DefinitionSubstitutions`: turn them into an `Fn::Sub` moto resolves."""
    for logical_id, resource in resources(cfn, "AWS::StepFunctions::StateMachine"):
        props = resource.get("Properties") or {}
        substitutions = props.pop("DefinitionSubstitutions", None)
        if not substitutions:
            continue
        definition = _literal_join(props.get("DefinitionString"))
        if definition is None:
            raise StackError(f"{logical_id}: cannot apply DefinitionSubstitutions to its DefinitionString")
        props["DefinitionString"] = {"Fn::Sub": [definition, substitutions]}


def translate(template: Template, parameters: Mapping[str, str], iam_client: Any) -> Template:
    """SAM -> CloudFormation with aws_sam_translator, offline (the managed-policy map comes from `iam_client`,
    asked only if the template names a managed policy)."""
    from samtranslator.translator.managed_policy_translator import ManagedPolicyLoader
    from samtranslator.translator.transform import transform

    translated: Template = transform(copy.deepcopy(template), dict(parameters), ManagedPolicyLoader(iam_client))
    return translated


def effective_parameters(template: Mapping[str, Any], overrides: Mapping[str, str]) -> dict[str, str]:
    """Template parameter defaults with `overrides` applied; unknown names are an error."""
    declared = template.get("Parameters") or {}
    unknown = sorted(set(overrides) - set(declared))
    if unknown:
        raise StackError(f"unknown parameters {', '.join(unknown)}; the template declares {', '.join(declared)}")
    values = {name: str(spec["Default"]) for name, spec in declared.items() if "Default" in spec}
    values.update({name: str(value) for name, value in overrides.items()})
    missing = sorted(set(declared) - set(values))
    if missing:
        raise StackError(f"parameters without a default need a value: {', '.join(missing)}")
    return values


__all__ = [
    "StackError",
    "effective_parameters",
    "fold_definition_substitutions",
    "placeholder_zip",
    "prepare_for_translation",
    "translate",
]
