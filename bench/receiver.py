"""A fast local receiver for benchmarks (aiohttp.web in its own process): answers 200 after an optional delay."""

from __future__ import annotations

import argparse
import asyncio

from aiohttp import web


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--delay-ms", type=float, default=0.0)
    args = parser.parse_args()

    async def hook(request: web.Request) -> web.Response:
        await request.read()
        if args.delay_ms:
            await asyncio.sleep(args.delay_ms / 1000)
        return web.Response(text='{"ok":true}', content_type="application/json")

    app = web.Application()
    app.router.add_post("/{tail:.*}", hook)
    web.run_app(app, host="127.0.0.1", port=args.port, print=lambda *a: print("ready", flush=True), access_log=None)


if __name__ == "__main__":
    main()
