"""Loading Lambda handlers from `functions/<dir>/app.py` in-process, and a fake Lambda context."""

from __future__ import annotations

import hashlib
import importlib.util
import re
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

Handler = Callable[[Any, Any], Any]
"""A Lambda handler: `handler(event, context) -> result`."""

Invoke = Callable[[Any], Any]
"""A bound function: `invoke(event) -> result` (the context is made per call)."""

_cache: dict[tuple[Path, str], Handler] = {}
_siblings: dict[str, list[str]] = {}  # handler module name -> the modules it imported from its own directory
_code_dirs: dict[str, Path] = {}  # handler module name -> its code directory
_lock = threading.Lock()


class HandlerLoadError(ImportError):
    """A handler file or attribute could not be loaded."""


def module_name_for(path: Path) -> str:
    """A unique, importable module name per handler file (every function's file is called `app.py`)."""
    resolved = path.resolve()
    slug = re.sub(r"\W", "_", f"{resolved.parent.name}_{resolved.stem}")
    digest = hashlib.sha256(str(resolved).encode()).hexdigest()[:8]
    return f"carrier_local_fn_{slug}_{digest}"


def _import_file(path: Path) -> ModuleType:
    """Import a handler file once, with its directory on `sys.path` while it runs (as Lambda's code directory is).

    A handler's sibling modules should be imported at module level: a package among them (the api's
    `carrier_api`) keeps its own path, so its submodules also import later, but a lone sibling module imported
    inside a function would not be found once the import is over. The siblings imported are remembered and
    forgotten with the handler (`clear_cache`), so a reload is a cold start for them too.
    """
    name = module_name_for(path)
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise HandlerLoadError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    # Lambda puts the code directory first on sys.path, so a handler may import its siblings.
    code_dir = str(path.parent)
    already = set(sys.modules)
    sys.path.insert(0, code_dir)
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        _forget(_siblings_since(already, path.parent))
        raise
    finally:
        sys.path.remove(code_dir)
    _siblings[name] = _siblings_since(already, path.parent)
    _code_dirs[name] = path.parent.resolve()
    return module


def _siblings_since(already: set[str], code_dir: Path) -> list[str]:
    """Modules imported since `already` was taken whose files sit in `code_dir` (a handler's own modules)."""
    found = []
    for name in set(sys.modules) - already:
        file = getattr(sys.modules.get(name), "__file__", None)
        if file and Path(file).resolve().is_relative_to(code_dir):
            found.append(name)
    return found


def _forget(names: list[str]) -> None:
    for name in names:
        sys.modules.pop(name, None)


def load_module(path: Path) -> ModuleType:
    """The module of the handler file `path` (imported once, as `load_handler` does; the same module object)."""
    with _lock:
        resolved = path.resolve()
        if not resolved.is_file():
            raise HandlerLoadError(f"handler file {resolved} does not exist")
        return _import_file(resolved)


def load_handler(path: Path, attribute: str = "handler") -> Handler:
    """Import `path` under a unique module name (once) and return its `attribute` callable."""
    key = (path.resolve(), attribute)
    with _lock:
        cached = _cache.get(key)
        if cached is not None:
            return cached
        if not key[0].is_file():
            raise HandlerLoadError(f"handler file {key[0]} does not exist")
        module = _import_file(key[0])
        handler = getattr(module, attribute, None)
        if not callable(handler):
            raise HandlerLoadError(f"{key[0]} has no callable {attribute!r}")
        _cache[key] = handler
        return handler


def clear_cache() -> None:
    """Forget loaded handlers (their modules and sibling modules too, including those a handler imports later, at
    its first request: the api's routes), so the next call re-imports the files."""
    with _lock:
        for name, siblings in _siblings.items():  # every handler module imported, and its siblings
            _forget([name, *siblings])
        for code_dir in set(_code_dirs.values()):
            _forget(_siblings_since(set(), code_dir))
        _siblings.clear()
        _code_dirs.clear()
        _cache.clear()


@dataclass
class LambdaContext:
    """The attributes of the Lambda Python runtime's context object that handlers and Powertools read."""

    function_name: str
    memory_limit_in_mb: int = 128
    invoked_function_arn: str = ""
    timeout_seconds: float = 3.0
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    identity: Any = None
    client_context: Any = None
    _deadline: float = field(default=0.0, repr=False)

    def __post_init__(self) -> None:
        if not self._deadline:
            self._deadline = time.monotonic() + self.timeout_seconds

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return f"{time.strftime('%Y/%m/%d')}/[{self.function_version}]{self.aws_request_id.replace('-', '')}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


@dataclass(frozen=True)
class LocalFunction:
    """One function of the stack, runnable in-process."""

    logical_id: str
    function_name: str
    module_file: Path
    attribute: str = "handler"
    arn: str = ""
    memory_size: int = 128
    timeout: int = 3

    def context(self) -> LambdaContext:
        """A fresh context (new request id, full time budget) for one invocation."""
        return LambdaContext(
            function_name=self.function_name,
            memory_limit_in_mb=self.memory_size,
            invoked_function_arn=self.arn,
            timeout_seconds=float(self.timeout),
        )

    def handler(self) -> Handler:
        return load_handler(self.module_file, self.attribute)

    def invoke(self, event: Any) -> Any:
        """Call the handler with `event` and a fresh context, like one synchronous Lambda invocation."""
        return self.handler()(event, self.context())
