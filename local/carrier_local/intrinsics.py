"""A small CloudFormation intrinsic-function resolver.

moto's CloudFormation skips a few resource types; the local stack creates those itself from the
same template data, which needs `Ref`, `Fn::GetAtt`, `Fn::Sub`, `Fn::Join`, ... resolved against the
stack moto created. Resource references are answered by callbacks, so this module knows no AWS API.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

NO_VALUE = "AWS::NoValue"
_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


class IntrinsicError(ValueError):
    """An intrinsic function the local stack cannot resolve."""


class _Removed:
    """Marker for `Ref: AWS::NoValue`: the enclosing key or list item disappears."""


_REMOVED = _Removed()


class Resolver:
    """Resolves intrinsic functions.

    `parameters` holds template parameters and pseudo parameters (`AWS::Region`, ...);
    `ref(logical_id)` and `get_att(logical_id, attribute)` answer references to resources.
    """

    def __init__(
        self,
        parameters: Mapping[str, Any],
        ref: Callable[[str], Any],
        get_att: Callable[[str, str], Any],
    ) -> None:
        self._parameters = dict(parameters)
        self._ref = ref
        self._get_att = get_att

    def resolve(self, value: Any) -> Any:
        result = self._resolve(value)
        return None if result is _REMOVED else result

    def _resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            items = [self._resolve(item) for item in value]
            return [item for item in items if item is not _REMOVED]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            handler = _FUNCTIONS.get(key)
            if handler is not None:
                return handler(self, argument)
            if key.startswith("Fn::"):
                raise IntrinsicError(f"{key} is not supported locally")
        resolved = {key: self._resolve(item) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not _REMOVED}

    def _fn_ref(self, name: Any) -> Any:
        if name == NO_VALUE:
            return _REMOVED
        if not isinstance(name, str):
            raise IntrinsicError(f"Ref takes a name, got {name!r}")
        if name in self._parameters:
            return self._parameters[name]
        return self._ref(name)

    def _fn_get_att(self, argument: Any) -> Any:
        if isinstance(argument, str):
            argument = argument.split(".", 1)
        if not (isinstance(argument, list) and len(argument) == 2):
            raise IntrinsicError(f"Fn::GetAtt takes [resource, attribute], got {argument!r}")
        logical_id, attribute = (self._resolve(part) for part in argument)
        return self._get_att(str(logical_id), str(attribute))

    def _fn_sub(self, argument: Any) -> str:
        if isinstance(argument, str):
            text, variables = argument, {}
        elif isinstance(argument, list) and len(argument) == 2 and isinstance(argument[0], str):
            text, variables = argument[0], {k: self._resolve(v) for k, v in argument[1].items()}
        else:
            raise IntrinsicError(f"Fn::Sub takes a string or [string, variables], got {argument!r}")

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return str(variables[name])
            if name in self._parameters:
                return str(self._parameters[name])
            if "." in name:
                logical_id, attribute = name.split(".", 1)
                return str(self._get_att(logical_id, attribute))
            return str(self._ref(name))

        return _SUB_VARIABLE.sub(substitute, text)

    def _fn_join(self, argument: Any) -> str:
        if not (isinstance(argument, list) and len(argument) == 2):
            raise IntrinsicError(f"Fn::Join takes [delimiter, list], got {argument!r}")
        delimiter, items = argument[0], self._resolve(argument[1])
        return str(delimiter).join(str(item) for item in items)

    def _fn_select(self, argument: Any) -> Any:
        index, items = (self._resolve(part) for part in argument)
        return items[int(index)]

    def _fn_split(self, argument: Any) -> list[str]:
        delimiter, text = (self._resolve(part) for part in argument)
        return str(text).split(str(delimiter))

    def _fn_base64(self, argument: Any) -> str:
        return base64.b64encode(str(self._resolve(argument)).encode()).decode()

    def _fn_to_json_string(self, argument: Any) -> str:
        return json.dumps(self._resolve(argument), separators=(",", ":"))


_FUNCTIONS: dict[str, Callable[[Resolver, Any], Any]] = {
    "Ref": Resolver._fn_ref,
    "Fn::GetAtt": Resolver._fn_get_att,
    "Fn::Sub": Resolver._fn_sub,
    "Fn::Join": Resolver._fn_join,
    "Fn::Select": Resolver._fn_select,
    "Fn::Split": Resolver._fn_split,
    "Fn::Base64": Resolver._fn_base64,
    "Fn::ToJsonString": Resolver._fn_to_json_string,
}
