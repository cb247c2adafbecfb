"""`python -m carrier_local`: run the whole Carrier stack locally (what `make local` runs).

Writes the state file the `carrier` CLI reads, prints a banner, and runs until Ctrl-C or SIGTERM.
The last line printed on start-up is `Carrier local stack ready`, so a parent process can wait for it.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from carrier_local.cfn import StackError
from carrier_local.runtime import LocalCarrier
from carrier_local.template import REPO_ROOT, TemplateError

READY_LINE = "Carrier local stack ready"
DEFAULT_STATE_FILE = REPO_ROOT / ".carrier" / "local.json"
DEMO_TENANT = "demo"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m carrier_local", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("PORT", "3000")),
        help="HTTP API port (env PORT; default 3000)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address of the HTTP API and moto (default 127.0.0.1)")
    parser.add_argument("--aws-port", type=int, default=0, help="moto's port (default: a free one)")
    parser.add_argument(
        "--state-file",
        type=Path,
        default=DEFAULT_STATE_FILE,
        help=f"state file (default {DEFAULT_STATE_FILE})",
    )
    parser.add_argument(
        "--parameter",
        "-p",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help=(
            "template parameter override (repeatable; Stage=local, AllowPrivateTargets=true and"
            " WebhookCacheSeconds=0 by default)"
        ),
    )
    parser.add_argument(
        "--profile",
        default=os.environ.get("PROFILE") or "carrier",
        help="the platform profile (profiles/<name>.yaml; env PROFILE; default carrier)",
    )
    parser.add_argument("--poller-workers", type=int, default=1, help="concurrent batches per SQS event source")
    parser.add_argument(
        "--failure-visibility-timeout",
        type=int,
        default=None,
        metavar="SECONDS",
        help="make failed messages visible again after SECONDS instead of the queue's visibility timeout",
    )
    parser.add_argument("--log-level", default=os.environ.get("CARRIER_LOCAL_LOG_LEVEL", "INFO"))
    return parser.parse_args(argv)


def _parameters(pairs: Sequence[str]) -> dict[str, str]:
    parameters = {}
    for pair in pairs:
        name, separator, value = pair.partition("=")
        if not separator or not name:
            raise SystemExit(f"--parameter wants NAME=VALUE, got {pair!r}")
        parameters[name] = value
    return parameters


def create_demo_key(tenant_id: str) -> str:
    """A fresh API key for `tenant_id`, stored (hashed) in the stack's table by the domain package."""
    from carrier.apikeys import create_key

    return create_key(tenant_id)


def write_state(path: Path, state: dict[str, Any]) -> None:
    """Write the state file atomically, readable by the owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(state, handle, indent=2)
        handle.write("\n")
    os.chmod(temporary, 0o600)
    os.replace(temporary, path)


def banner(state: dict[str, Any], startup_seconds: float) -> str:
    return "\n".join(
        [
            "",
            f"  Carrier local stack (started in {startup_seconds:.1f}s)",
            f"  Profile   {state['profile']}   (profiles/{state['profile']}.yaml; PROFILE=<name> make local)",
            f"  API       {state['api_url']}",
            f"  Dashboard {state['api_url']}/dashboard   (paste the API key below)",
            f"  Docs      {state['api_url']}/docs",
            f"  API key   {state['api_key']}   (tenant {state['tenant_id']!r})",
            f"  AWS       {state['aws_endpoint_url']}   (moto; bus {state['event_bus_name']})",
            "",
            f"  Try       curl -H 'Authorization: Bearer {state['api_key']}' {state['api_url']}/v1/webhooks",
            "  Ctrl-C stops it.",
            "",
        ]
    )


def configure_logging(level: str) -> None:
    """Carrier's and carrier_local's logs at `level` on stderr; the AWS SDK only from WARNING."""
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("botocore", "boto3", "urllib3"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))


def _dump_threads_on_sigusr1() -> None:
    """`kill -USR1 <pid>` prints every thread's stack (to see what a stuck local stack is doing)."""
    import faulthandler
    import signal

    if hasattr(signal, "SIGUSR1"):
        faulthandler.register(signal.SIGUSR1, all_threads=True)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    configure_logging(args.log_level)
    _dump_threads_on_sigusr1()
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    from carrier.profile import ProfileError, load

    try:
        load(args.profile)  # a typo stops here, with the file and the key named
    except ProfileError as error:
        print(f"carrier_local: {error}", file=sys.stderr)
        return 1
    carrier = LocalCarrier(
        args.port,
        host=args.host,
        parameters={"Profile": args.profile, **_parameters(args.parameter)},
        poller_workers=args.poller_workers,
        failure_visibility_timeout=args.failure_visibility_timeout,
        aws_port=args.aws_port,
    )
    started = time.perf_counter()
    state_written = False
    try:
        try:
            carrier.start()
        except OSError as error:
            if error.errno != errno.EADDRINUSE:
                raise
            print(f"carrier_local: port {args.port} is in use ({error}); try --port or PORT=", file=sys.stderr)
            return 1
        except (StackError, TemplateError) as error:
            print(f"carrier_local: the stack could not be created: {error}", file=sys.stderr)
            return 1
        state = {**carrier.state(create_demo_key(DEMO_TENANT), DEMO_TENANT), "profile": args.profile}
        write_state(args.state_file, state)
        state_written = True
        print(banner(state, time.perf_counter() - started), flush=True)
        print(READY_LINE, flush=True)
        while not stop.wait(1.0):
            pass
    finally:
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # a second Ctrl-C kills at once
        if state_written:
            with contextlib.suppress(FileNotFoundError):
                args.state_file.unlink()
        carrier.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
