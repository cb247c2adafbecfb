"""The seed docs' receivers, run as written (only their secret literal is swapped for the real one)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from werkzeug.serving import make_server

HERE = Path(__file__).parent
SECRET_LITERALS = {"seed_000": "your_webhook_secret", "seed_004": "your-webhook-secret"}


def load_app(seed: str, secret: str) -> Any:
    source = (HERE / f"{seed}_receiver.py.txt").read_text()
    literal = SECRET_LITERALS[seed]
    assert source.count(f"'{literal}'") == 1
    namespace: dict[str, Any] = {"__name__": f"{seed}_receiver"}
    exec(compile(source.replace(f"'{literal}'", repr(secret)), f"{seed}_receiver.py", "exec"), namespace)
    return namespace["app"]


@contextmanager
def serve(seed: str, secret: str) -> Iterator[tuple[str, list[int]]]:
    """Serve the seed's Flask app on a free port; yields its base URL and the status codes it answered."""
    app = load_app(seed, secret)
    statuses: list[int] = []

    @app.after_request
    def remember(response: Any) -> Any:
        statuses.append(response.status_code)
        return response

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", statuses
    finally:
        server.shutdown()
