"""Receiver-side commands: a local receiver that verifies what it gets, and a one-shot signature check."""

from __future__ import annotations

import argparse
import os
from pathlib import Path


def cmd_receive(args: argparse.Namespace) -> int:
    """A local receiver: prints each request and whether its signature verifies."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from carrier.verify import InvalidSignature, verify

    secret = args.secret or os.environ.get("CARRIER_SECRET")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = dict(self.headers.items())
            if secret:
                try:
                    verify(args.scheme, secret, body, headers, header=args.header)
                    verdict = "signature OK"
                except InvalidSignature as exc:
                    verdict = f"signature INVALID ({exc})"
            else:
                verdict = "signature not checked (pass --secret)"
            print(f"--> POST {self.path}  {verdict}", flush=True)
            for name in sorted(headers):
                print(f"    {name}: {headers[name]}", flush=True)
            print("    " + body.decode("utf-8", "replace")[:4000], flush=True)
            answer = str(args.status).encode()
            self.send_response(args.status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *values: object) -> None:
            return

    server = ThreadingHTTPServer((args.host, args.port), Handler)
    print(f"carrier receive: listening on http://{args.host}:{server.server_address[1]}/ (Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    """Check a saved request: --body FILE and --header 'Name: value' (repeatable)."""
    from carrier.verify import InvalidSignature, verify

    body = Path(args.body).read_bytes()
    headers = dict(line.split(":", 1) for line in args.headers)
    headers = {k.strip(): v.strip() for k, v in headers.items()}
    try:
        verify(args.scheme, args.secret, body, headers, header=args.signature_header, tolerance=args.tolerance)
    except InvalidSignature as exc:
        print(f"INVALID: {exc}")
        return 1
    print("OK: the signature verifies")
    return 0
