"""`ApiGateway` behind a real HTTP/1.1 server: `GatewayServer`, one thread per connection.

The server only frames requests and responses: it reads the body (Content-Length or chunked, at most API
Gateway's 10 MB, else a 413 before the function sees anything), hands an `HttpRequest` to `ApiGateway.handle`
and writes the `HttpResponse` back. Errors of the HTTP layer itself are answered in JSON like API Gateway's,
never with http.server's HTML page.
"""

from __future__ import annotations

import logging
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from carrier_local.apievents import HttpRequest, HttpResponse, json_response
from carrier_local.gateway import ApiGateway

log = logging.getLogger("carrier_local.gateway")  # the HTTP API's one logger, server and gateway alike

MAX_PAYLOAD_BYTES = 10 * 1024 * 1024
"""API Gateway's request payload limit (10 MB)."""

TOO_LARGE = {"message": "Request Entity Too Large"}


class _PayloadTooLarge(Exception):
    pass


class _BadRequest(Exception):
    pass


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "CarrierLocal"
    server: _Server

    def do_request(self) -> None:
        try:
            body = self._read_body()
        except _PayloadTooLarge:
            self.close_connection = True
            self._send(json_response(413, TOO_LARGE))
            return
        except _BadRequest as error:
            self.close_connection = True
            self._send(json_response(400, {"message": str(error)}))
            return
        request = HttpRequest(
            method=self.command,
            target=self.path,
            headers=list(self.headers.items()),
            body=body,
            source_ip=self.client_address[0],
            protocol=self.request_version,
        )
        self._send(self.server.gateway.handle(request, server_port=self.server.server_address[1]))

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_request

    def handle_expect_100(self) -> bool:
        try:
            too_large = self._content_length() > MAX_PAYLOAD_BYTES
        except _BadRequest:
            too_large = False  # answered with a 400 when the body is read
        if too_large:
            self.close_connection = True
            self._send(json_response(413, TOO_LARGE))
            return False
        return super().handle_expect_100()

    def _content_length(self) -> int:
        value = self.headers.get("content-length")
        if value is None:
            return 0
        if not value.strip().isdigit():
            raise _BadRequest("invalid Content-Length")
        return int(value)

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("transfer-encoding", "").lower():
            return self._read_chunked()
        length = self._content_length()
        if length > MAX_PAYLOAD_BYTES:
            raise _PayloadTooLarge
        return self.rfile.read(length) if length else b""

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(1024).split(b";", 1)[0].strip()
            try:
                size = int(line, 16)
            except ValueError as error:
                raise _BadRequest("invalid chunked encoding") from error
            if size == 0:
                while self.rfile.readline(1024).strip():
                    pass  # trailers
                return b"".join(chunks)
            total += size
            if total > MAX_PAYLOAD_BYTES:
                raise _PayloadTooLarge
            chunks.append(self.rfile.read(size))
            self.rfile.readline(1024)

    def _send(self, response: HttpResponse) -> None:
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD" and response.body:
            self.wfile.write(response.body)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Errors of the HTTP layer itself (a request line over 64 KB, a malformed request) in JSON, as API
        Gateway answers them, never http.server's HTML page."""
        self.close_connection = True
        self._send(json_response(code, {"message": message or self.responses.get(code, ("Error",))[0]}))

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        log.debug(format, *args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    gateway: ApiGateway

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up is normal; anything else is logged with its traceback."""
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError | TimeoutError):
            log.debug("connection from %s ended: %s", client_address, error)
        else:
            log.exception("error serving %s", client_address)


class GatewayServer:
    """`ApiGateway` served over HTTP on a thread (one thread per connection)."""

    def __init__(self, gateway: ApiGateway, host: str = "127.0.0.1", port: int = 3000) -> None:
        self.gateway = gateway
        self._server = _Server((host, port), _RequestHandler)
        self._server.gateway = gateway
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        host = str(self._server.server_address[0])
        return f"http://{host}:{self.port}"

    def start(self) -> GatewayServer:
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.2},
            name="carrier-gateway",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> GatewayServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


__all__ = ["MAX_PAYLOAD_BYTES", "GatewayServer"]
