"""Secret hygiene on the local stack: signing secrets (old and new) and custom header values appear in the
answers that create or rotate them, and nowhere else: not in any other API answer, error body or log line.

(tests/e2e/test_logs.py checks the log lines of deliveries; this runs every kind of traffic that touches a secret.)
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any
from urllib.parse import quote, quote_plus, unquote, unquote_plus

import requests

from tests.receiver import Answer, Received, Receiver
from tests.stack import Stack, Tenant

HEADERS = {
    "Authorization": "Bearer hygiene-receiver-token-0123456789",
    "X-Api-Key": "hygiene-api-key-abcdefghijklmnop",
}
CUSTOM_SECRET = "whsec_aHlnaWVuZS1jdXN0b20tc2VjcmV0LWJ5dGVz"  # base64 of "hygiene-custom-secret-bytes"


class Recorder:
    """Every API answer of the flow, except the two kinds that must show a secret once."""

    def __init__(self, tenant: Tenant) -> None:
        self.tenant = tenant
        self.seen: list[str] = []

    def __call__(self, method: str, path: str, body: Any = None, shows_secret: bool = False) -> tuple[int, Any]:
        stack = self.tenant.stack
        answer = stack.session.request(
            method, stack.url + path, json=body, headers={"Authorization": f"Bearer {self.tenant.key}"}, timeout=60
        )
        if not shows_secret:
            self.seen.append(f"{method} {path} -> {answer.status_code} {answer.text}")
        return answer.status_code, (answer.json() if answer.content else None)


def failing_then_ok(request: Received) -> Answer:
    return Answer(500, b'{"error":"down"}') if request.path.startswith("/fail") else Answer()


def test_no_secret_or_header_value_leaves_by_any_other_way(stack: Stack, tenant: Tenant) -> None:
    api = Recorder(tenant)
    with Receiver(failing_then_ok) as receiver:
        status, good = api(
            "POST", "/v1/webhooks", {"url": receiver.url + "/ok", "events": ["*"], "headers": HEADERS}, True
        )
        assert status == 201, good
        status, bad = api(
            "POST",
            "/v1/webhooks",
            {"url": receiver.url + "/fail", "events": ["*"], "headers": HEADERS, "secret": CUSTOM_SECRET},
            True,
        )
        assert status == 201, bad
        api("POST", "/v1/events", {"type": "model.trained", "data": {"model_id": "m-hygiene"}})

        def settled() -> bool:
            ok = api("GET", f"/v1/webhooks/{good['id']}/deliveries")[1]["deliveries"]
            failed = api("GET", f"/v1/webhooks/{bad['id']}/deliveries")[1]["deliveries"]
            return bool(ok and failed and ok[0]["status"] == "delivered" and failed[0]["status"] == "exhausted")

        stack.wait_for(settled, what="one delivery delivered and one exhausted after its retries")
        failed = api("GET", f"/v1/webhooks/{bad['id']}/deliveries")[1]["deliveries"][0]
        retry = f"/v1/webhooks/{bad['id']}/deliveries/{failed['delivery_id']}/retry"
        status, refused = api("POST", retry)
        if status == 409:  # exhausted deliveries disable the webhook: enable it, as a tenant would
            assert api("POST", f"/v1/webhooks/{bad['id']}/enable")[0] == 200, refused
            status = api("POST", retry)[0]
        assert status == 200
        status, detail = api("GET", f"/v1/webhooks/{bad['id']}/deliveries/{failed['delivery_id']}")
        assert status == 200 and len(detail["attempt_log"]) >= 2
        assert api("POST", f"/v1/webhooks/{good['id']}/test")[0] == 200
        status, rotated = api("POST", f"/v1/webhooks/{good['id']}/secret/rotate", None, True)
        assert status == 200, rotated
        assert api("POST", f"/v1/webhooks/{good['id']}/test")[0] == 200  # signed with the old and the new key
        for path in (f"/v1/webhooks/{good['id']}", f"/v1/webhooks/{bad['id']}", "/v1/webhooks"):
            assert api("GET", path)[0] == 200
        assert api("PATCH", f"/v1/webhooks/{good['id']}", {"description": "patched"})[0] == 200
        # Errors, some of them holding a secret-looking value the answer must not echo.
        errors = [
            api("PATCH", f"/v1/webhooks/{good['id']}", {"headers": {"X-Api-Key": HEADERS["X-Api-Key"] + "\n"}}),
            api("POST", "/v1/webhooks", {"url": receiver.url, "events": ["*"], "secret": CUSTOM_SECRET[:-4] + "!!!!"}),
            api("POST", f"/v1/webhooks/{good['id']}/secret/rotate", {"secret": HEADERS["Authorization"]}),
            api("GET", "/v1/webhooks/wh_doesnotexist"),
        ]
        assert [status for status, _ in errors] == [422, 422, 422, 404], errors
        sent = [r for r in receiver.requests if r.path == "/ok"]
    assert sent and all(r.headers.get("X-Api-Key") == HEADERS["X-Api-Key"] for r in sent)  # they were really used

    secrets = [good["secret"], bad["secret"], rotated["secret"], CUSTOM_SECRET, *HEADERS.values()]
    assert bad["secret"] == CUSTOM_SECRET
    everything = "\n".join(api.seen)
    logs = stack.logs()
    for secret in secrets:
        assert secret not in everything, f"{secret!r} is in an API answer"
        assert secret not in logs, f"{secret!r} is in the stack's logs"
    assert requests.utils.quote(HEADERS["Authorization"]) not in logs


def echo(request: Received) -> Answer:
    """A receiver that answers with everything it was sent (some debugging endpoints do exactly this)."""
    lines = [f"{name}: {value}" for name, value in request.headers.items()]
    return Answer(500, "\n".join(lines).encode() + b"\n\n" + request.body)


def test_a_receiver_echoing_its_request_does_not_put_secrets_in_the_log(stack: Stack, tenant: Tenant) -> None:
    with Receiver(echo) as receiver:
        status, hook = tenant.api(
            "POST", "/v1/webhooks", {"url": receiver.url, "events": ["*"], "headers": HEADERS, "secret": CUSTOM_SECRET}
        )
        assert status == 201, hook
        status, sent = tenant.api("POST", f"/v1/webhooks/{hook['id']}/test")
        assert status == 200 and not sent["delivered"], sent
        assert "X-Api-Key: ********" in sent["response_body"]  # the echo is kept, with the values masked
        status, delivery = tenant.api("GET", f"/v1/webhooks/{hook['id']}/deliveries/{sent['delivery_id']}")
        assert status == 200, delivery
        shown = str(sent) + str(delivery)
        assert receiver.requests and HEADERS["X-Api-Key"] in str(receiver.requests[0].headers)  # it was sent
        for secret in [*HEADERS.values(), CUSTOM_SECRET, CUSTOM_SECRET.removeprefix("whsec_")]:
            assert secret not in shown


# ---- a receiver echoing a secret in every encoding, through the real API (issue 16) -----------------------------

TOKEN = "rtk_live/9f+Qz=Kp2-hygiene"  # '/', '+' and '=' change under JSON, URL and base64 encoding
ENCODED_HEADERS = {
    "Authorization": f"Bearer {TOKEN}",
    "X-Basic": "Basic " + base64.b64encode(b"hyg:pa55word-xyz").decode(),
}


def encoded_echo(request: Received) -> Answer:
    """Answers with the token in every encoding the issue lists: JSON (PHP's \\/, \\uXXXX), URL, base64 (whole and
    inside a longer stream), the full Authorization value straddling the 2 KB cut; /redirect names it in Location."""
    header = request.headers.get("Authorization", "")
    if request.path.startswith("/redirect"):
        return Answer(
            302, b"", {"Location": f"https://login.example/?t={quote(header, safe='')}&u={quote_plus(TOKEN)}"}
        )
    stream = base64.b64encode(b'{"seen":"' + TOKEN.encode() + b'"}').decode()
    parts = [
        json.dumps({"error": "invalid_token", "token": TOKEN}),
        json.dumps({"token": TOKEN}).replace("/", "\\/"),
        "".join(f"\\u{ord(c):04x}" for c in TOKEN),
        quote_plus(header),
        re.sub("%[0-9A-F]{2}", lambda m: m.group().lower(), quote(TOKEN, safe="")),  # lower-case hex
        base64.urlsafe_b64encode(TOKEN.encode()).decode().rstrip("="),
        stream,
        "user hyg:pa55word-xyz",
    ]
    body = "\n".join(parts)
    body += "." * (2048 - len(body) - 10) + header  # the whole value across the 2 KB cut
    return Answer(500, body.encode())


def readings(text: str) -> list[str]:
    """`text` as it is and decoded from each encoding (so an escaped secret counts as shown)."""
    unescaped = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text).replace("\\/", "/")
    decoded = [text, unescaped, unquote(text), unquote_plus(text)]
    for run in re.findall(r"[A-Za-z0-9+/_=-]{8,}", text):
        for start in range(4):
            chunk = run.replace("-", "+").replace("_", "/").rstrip("=")[start:]
            try:
                decoded.append(base64.b64decode(chunk[: len(chunk) - len(chunk) % 4]).decode("latin-1"))
            except ValueError:
                continue
    return decoded


def test_a_receiver_echoing_a_token_in_any_encoding_shows_it_nowhere(stack: Stack, tenant: Tenant) -> None:
    with Receiver(encoded_echo) as receiver:
        echo_hook = tenant.create(receiver.url + "/echo", headers=ENCODED_HEADERS)
        redirect_hook = tenant.create(receiver.url + "/redirect", headers=ENCODED_HEADERS)
        answers = []
        for hook in (echo_hook, redirect_hook):
            status, sent = tenant.api("POST", f"/v1/webhooks/{hook['id']}/test")
            assert status == 200 and not sent["delivered"], sent
            answers.append(sent)
            status, retried = tenant.api("POST", f"/v1/webhooks/{hook['id']}/deliveries/{sent['delivery_id']}/retry")
            assert status == 200, retried
            answers.append(retried)
        tenant.publish("model.trained", {"model_id": "m-encoded"})
        stack.wait_for(
            lambda: all(len(tenant.deliveries(h["id"])) == 2 for h in (echo_hook, redirect_hook)),
            what="the published event's first attempts",
        )
        shown = [json.dumps(answers)]
        for hook in (echo_hook, redirect_hook):
            shown.append(json.dumps(tenant.api("GET", f"/v1/webhooks/{hook['id']}")[1]))
            for delivery in tenant.deliveries(hook["id"]):
                shown.append(
                    json.dumps(tenant.api("GET", f"/v1/webhooks/{hook['id']}/deliveries/{delivery['delivery_id']}")[1])
                )
        shown.append(json.dumps(tenant.api("GET", "/v1/webhooks")[1]))
        assert receiver.requests and all(
            r.headers["Authorization"] == ENCODED_HEADERS["Authorization"] for r in receiver.requests
        )
    everything = "\n".join(shown)
    assert "invalid_token" in everything and "login.example" in everything  # the answers were kept, masked
    webhook = json.loads(shown[1])
    assert webhook["last_error"]["body"] and "********" in webhook["last_error"]["body"]
    secrets = [TOKEN, "pa55word-xyz", ENCODED_HEADERS["X-Basic"].removeprefix("Basic ")]
    for text in readings(everything):
        for secret in secrets:
            found = [secret[i : i + 6] for i in range(len(secret) - 5) if secret[i : i + 6] in text]
            assert not found, (secret, [text[max(0, text.find(f) - 100) : text.find(f) + 40] for f in found[:1]])
