# ruff: noqa: RUF001  (look-alike characters are what this matrix tests)
"""SSRF matrix: every URL form below is refused at creation or at connect time, and a real listener proves it.

A local TCP listener (127.0.0.1, and ::1 on the same port when the host has IPv6) stands in for every private
service. Each row's URL points at it: literal loopback forms carry its port, and the test resolver (DNS) answers
every internal or attacker-controlled name with its address. After each refusal the listener must have accepted
zero connections. The control rows run the same URLs with allow_private=True (the local-development setting)
and the listener IS reached, so the proof is not vacuous.

Rows refused at creation are also refused by the transport (a URL stored while ALLOW_PRIVATE_TARGETS was on,
then switched off, must still not connect). Rows accepted at creation (the name looks public) are refused at
connect time by the GuardedResolver, which checks every answer of every lookup that a connection uses.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from pydantic import ValidationError

from carrier import runtime, transport
from carrier.models import WebhookCreate
from carrier.netguard import UrlRejected, check_url
from carrier.transport import GuardedResolver, HttpResult, Transport
from tests.fakes import RecordingScheduler
from tests.pipeline import bus_event, dispatch
from tests.resolver import FakeResolver
from tests.security.mocked import moto_env
from tests.security.rawserver import RawServer, answer
from tests.support import call_api

# Internal names a real resolver would answer with a private address: here they answer the listener's.
INTERNAL_NAMES = (
    "localhost",
    "app.localhost",
    "metadata",
    "metadata.google.internal",
    "metadata.ec2.internal",
    "instance-data",
    "instance-data.ec2.internal",
)
PUBLIC_ADDRESS = "93.184.216.34"  # a public answer (never connected to by these tests)


@dataclass(frozen=True)
class Row:
    id: str
    url: str  # {port}: the listener's port
    reason: str
    dns: dict[str, list[str]] = field(default_factory=dict)  # extra names the test resolver answers
    private: bool = True  # refused because of where it points (allowed with allow_private=True)


def row(id: str, url: str, reason: str, **kw: Any) -> Any:
    return pytest.param(Row(id, url, reason, **kw), id=id)


CREATION_ROWS = [
    # loopback names and numbers
    row("localhost", "http://localhost:{port}/", "loopback name"),
    row("localhost-dot", "http://localhost.:{port}/", "loopback name, trailing root dot"),
    row("localhost-upper", "http://LOCALHOST:{port}/", "loopback name, upper case"),
    row("sub-localhost", "http://app.localhost:{port}/", "*.localhost is loopback (RFC 6761)"),
    row("v4-loopback", "http://127.0.0.1:{port}/", "IPv4 loopback"),
    row("v4-loopback-dot", "http://127.0.0.1.:{port}/", "IPv4 loopback, trailing dot"),
    row("v4-decimal", "http://2130706433:{port}/", "127.0.0.1 as one decimal number"),
    row("v4-octal", "http://0177.0.0.1:{port}/", "127.0.0.1 with an octal first part"),
    row("v4-octal-whole", "http://017700000001:{port}/", "127.0.0.1 as one octal number"),
    row("v4-hex", "http://0x7f000001:{port}/", "127.0.0.1 as one hex number"),
    row("v4-hex-dotted", "http://0x7f.0.0.1:{port}/", "127.0.0.1 with a hex first part"),
    row("v4-short-2", "http://127.1:{port}/", "127.0.0.1 in two parts"),
    row("v4-short-3", "http://127.0.1:{port}/", "127.0.0.1 in three parts"),
    row("v4-zero-padded", "http://127.000.000.001:{port}/", "127.0.0.1 zero-padded"),
    row("v4-any", "http://0.0.0.0:{port}/", "unspecified address (connects to this host)"),
    row("v4-zero", "http://0:{port}/", "0 is 0.0.0.0"),
    # IPv6 loopback and IPv6 forms that embed an IPv4 address
    row("v6-loopback", "http://[::1]:{port}/", "IPv6 loopback"),
    row("v6-loopback-long", "http://[0:0:0:0:0:0:0:1]:{port}/", "IPv6 loopback, long form"),
    row("v6-loopback-padded", "http://[0000:0000:0000:0000:0000:0000:0000:0001]:{port}/", "IPv6 loopback, padded"),
    row("v6-any", "http://[::]:{port}/", "IPv6 unspecified address"),
    row("v4-mapped", "http://[::ffff:127.0.0.1]:{port}/", "IPv4-mapped IPv6 loopback"),
    row("v4-mapped-hex", "http://[::ffff:7f00:1]:{port}/", "IPv4-mapped IPv6 loopback, hex"),
    row("v4-mapped-metadata", "http://[::ffff:169.254.169.254]:{port}/", "IPv4-mapped metadata address"),
    row("v4-compatible", "http://[::127.0.0.1]:{port}/", "IPv4-compatible IPv6 (deprecated)"),
    row("nat64", "http://[64:ff9b::7f00:1]:{port}/", "NAT64 prefix embedding 127.0.0.1"),
    row("6to4", "http://[2002:7f00:1::]:{port}/", "6to4 prefix embedding 127.0.0.1"),
    # link-local and cloud metadata
    row("v4-link-local", "http://169.254.1.1:{port}/", "IPv4 link-local"),
    row("v6-link-local", "http://[fe80::1]:{port}/", "IPv6 link-local"),
    row("v6-link-local-zone", "http://[fe80::1%25eth0]:{port}/", "IPv6 link-local with a zone id"),
    row("metadata-v4", "http://169.254.169.254:{port}/latest/meta-data/", "AWS/GCP/Azure metadata address"),
    row("metadata-v6", "http://[fd00:ec2::254]:{port}/", "AWS metadata over IPv6"),
    row("metadata-ecs", "http://169.254.170.2:{port}/v2/credentials", "ECS task metadata / credentials"),
    row("metadata-gcp-name", "http://metadata.google.internal:{port}/", "GCP metadata name"),
    row("metadata-gcp-dot", "http://metadata.google.internal.:{port}/", "GCP metadata name, trailing dot"),
    row("metadata-bare", "http://metadata:{port}/", "bare metadata name"),
    row("metadata-ec2-name", "http://metadata.ec2.internal:{port}/", "*.internal name (EC2)"),
    row("instance-data", "http://instance-data:{port}/", "EC2 metadata alias"),
    row("instance-data-ec2", "http://instance-data.ec2.internal:{port}/", "EC2 metadata alias, qualified"),
    # private, shared and special ranges
    row("rfc1918-10", "http://10.0.0.1:{port}/", "private 10/8"),
    row("rfc1918-172-low", "http://172.16.0.1:{port}/", "private 172.16/12 (bottom)"),
    row("rfc1918-172-high", "http://172.31.255.254:{port}/", "private 172.16/12 (top)"),
    row("rfc1918-192", "http://192.168.1.1:{port}/", "private 192.168/16"),
    row("ula-fc", "http://[fc00::1]:{port}/", "IPv6 unique local fc00::/7"),
    row("ula-fd", "http://[fd12:3456::1]:{port}/", "IPv6 unique local fd00::/8"),
    row("cgnat-low", "http://100.64.0.1:{port}/", "CGNAT 100.64/10 (bottom)"),
    row("cgnat-high", "http://100.127.255.254:{port}/", "CGNAT 100.64/10 (top)"),
    row("benchmarking", "http://198.18.0.1:{port}/", "benchmarking 198.18/15"),
    row("ietf-192-0-0", "http://192.0.0.170:{port}/", "IETF protocol assignments 192.0.0/24"),
    row("multicast-v4", "http://224.0.0.1:{port}/", "IPv4 multicast"),
    row("broadcast", "http://255.255.255.255:{port}/", "limited broadcast"),
    row("reserved-240", "http://240.0.0.1:{port}/", "reserved 240/4"),
    row("multicast-v6", "http://[ff02::1]:{port}/", "IPv6 multicast"),
    row("v6-site-local", "http://[fec0::1]:{port}/", "IPv6 site-local fec0::/10 (Python calls it global)"),
    row("v6-site-local-top", "http://[feff::1]:{port}/", "IPv6 site-local, top of fec0::/10"),
    row("v6-documentation", "http://[2001:db8::1]:{port}/", "IPv6 documentation 2001:db8::/32, inside 2000::/3"),
    row("v6-outside-global", "http://[4000::1]:{port}/", "IPv6 outside global unicast 2000::/3"),
    # userinfo and parser-confusion tricks (refused as malformed, whatever they point at)
    row("userinfo", "http://good.example@127.0.0.1:{port}/", "userinfo: real host is 127.0.0.1", private=False),
    row(
        "userinfo-port",
        "http://good.example:{port}@127.0.0.1:{port}/",
        "userinfo with a port-like password",
        private=False,
    ),
    row("fragment-at", "http://127.0.0.1:{port}#@good.example/", "fragment hides the real host", private=False),
    row(
        "encoded-at",
        "http://good.example%40127.0.0.1:{port}/",
        "percent-encoded @ in the host",
        private=False,
        dns={"good.example%40127.0.0.1": ["127.0.0.1"]},
    ),
    row(
        "encoded-slash-at",
        "http://127.0.0.1%2f@good.example:{port}/",
        "encoded / before @ (userinfo)",
        private=False,
        dns={"good.example": ["127.0.0.1"]},
    ),
    row("backslash-at", "http://127.0.0.1\\@good.example:{port}/", "backslash before @", private=False),
    row(
        "encoded-host",
        "http://%31%32%37.0.0.1:{port}/",
        "percent-encoded digits in the host",
        private=False,
        dns={"%31%32%37.0.0.1": ["127.0.0.1"]},
    ),
    # IDN forms that IDNA (UTS 46) maps to a loopback address or name
    row("fullwidth-digits", "http://１２７.０.０.１:{port}/", "full-width digits map to 127.0.0.1"),
    row("ideographic-dots", "http://127。0。0。1:{port}/", "ideographic full stops map to dots"),
    row("fullwidth-dots", "http://127．0．0．1:{port}/", "full-width full stops map to dots"),
    row("halfwidth-dot-trailing", "http://127.0.0.1｡:{port}/", "half-width ideographic trailing dot"),
    row("roman-l-localhost", "http://locaⅼhost:{port}/", "ROMAN NUMERAL FIFTY maps to l: localhost"),
    row("circled-localhost", "http://ⓛocalhost:{port}/", "circled l maps to l: localhost"),
    row("fullwidth-localhost", "http://ｌｏｃａｌｈｏｓｔ:{port}/", "full-width letters map to localhost"),
]

# Names that look public at creation; their DNS answers are private (checked on every connection).
NAME = "hooks.example.com"
CONNECT_ROWS = [
    row("dns-loopback", f"http://{NAME}:{{port}}/", "name resolves to 127.0.0.1", dns={NAME: ["127.0.0.1"]}),
    row("dns-any", f"http://{NAME}:{{port}}/", "name resolves to 0.0.0.0 (nip.io style)", dns={NAME: ["0.0.0.0"]}),
    row("dns-v6-loopback", f"http://{NAME}:{{port}}/", "name resolves to ::1", dns={NAME: ["::1"]}),
    row("dns-v4-mapped", f"http://{NAME}:{{port}}/", "AAAA answer ::ffff:127.0.0.1", dns={NAME: ["::ffff:127.0.0.1"]}),
    row("dns-nat64", f"http://{NAME}:{{port}}/", "AAAA answer in NAT64 64:ff9b::/96", dns={NAME: ["64:ff9b::7f00:1"]}),
    row("dns-private", f"http://{NAME}:{{port}}/", "name resolves to 10.0.0.5", dns={NAME: ["10.0.0.5"]}),
    row("dns-cgnat", f"http://{NAME}:{{port}}/", "name resolves to CGNAT 100.64.0.1", dns={NAME: ["100.64.0.1"]}),
    row(
        "dns-metadata", f"http://{NAME}:{{port}}/", "name resolves to 169.254.169.254", dns={NAME: ["169.254.169.254"]}
    ),
    row("dns-metadata-v6", f"http://{NAME}:{{port}}/", "name resolves to fd00:ec2::254", dns={NAME: ["fd00:ec2::254"]}),
    row("dns-site-local", f"http://{NAME}:{{port}}/", "AAAA answer fec0::1 (site-local)", dns={NAME: ["fec0::1"]}),
    row(
        "dns-multi-public-first",
        f"http://{NAME}:{{port}}/",
        "two answers, public then private: whole name refused",
        dns={NAME: [PUBLIC_ADDRESS, "127.0.0.1"]},
    ),
    row(
        "dns-multi-private-first",
        f"http://{NAME}:{{port}}/",
        "two answers, private then public: whole name refused",
        dns={NAME: ["127.0.0.1", PUBLIC_ADDRESS]},
    ),
    row(
        "dns-multi-mixed-families",
        f"http://{NAME}:{{port}}/",
        "public A plus loopback AAAA: whole name refused",
        dns={NAME: [PUBLIC_ADDRESS, "::1"]},
    ),
    row(
        "dns-nip-io",
        "http://127.0.0.1.nip.io:{port}/",
        "wildcard DNS name embedding 127.0.0.1",
        dns={"127.0.0.1.nip.io": ["127.0.0.1"]},
    ),
]


# ---- the listener and the resolver -------------------------------------------------------------------------


class Listener:
    """The private service: 127.0.0.1 and (when available) ::1 on the same port; counts every connection."""

    def __init__(self) -> None:
        self.v4 = RawServer()
        self.v6: RawServer | None = None
        try:
            self.v6 = RawServer(host="::1", port=self.v4.port)
        except OSError:
            self.v6 = None

    @property
    def port(self) -> int:
        return self.v4.port

    @property
    def connections(self) -> int:
        return self.v4.connections + (self.v6.connections if self.v6 else 0)

    def __enter__(self) -> Listener:
        self.v4.__enter__()
        if self.v6:
            self.v6.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.v4.__exit__()
        if self.v6:
            self.v6.__exit__()


@pytest.fixture(scope="module")
def listener() -> Iterator[Listener]:
    with Listener() as serving:
        yield serving


def resolver_for(item: Row) -> FakeResolver:
    answers: dict[str, Any] = {name: ["127.0.0.1"] for name in INTERNAL_NAMES}
    answers.update(item.dns)
    return FakeResolver(answers)


def send(item: Row, port: int, *, allow_private: bool) -> HttpResult:
    """One POST through the real Transport (its GuardedResolver wraps the test resolver)."""
    sender = Transport(allow_private=allow_private, timeout=1, resolver=resolver_for(item))

    async def run() -> HttpResult:
        try:
            return await sender.post(item.url.format(port=port), b"{}", {"Content-Type": "application/json"})
        finally:
            await sender.close()

    return asyncio.run(run())


def assert_not_reached(listener: Listener, before: int, result: HttpResult, item: Row) -> None:
    assert listener.connections == before, f"{item.id}: the listener was reached"
    assert result.status is None, result
    if item.private:
        assert result.error_kind == "blocked", result


# ---- creation ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="class")
def api() -> Iterator[dict[str, str]]:
    """The real API on moto (one per class: nothing is ever stored, so rows cannot leak into each other), with
    production settings except plain http, so only the address is judged."""
    with moto_env(ALLOW_HTTP_TARGETS="true") as env:
        yield env


class TestCreation:
    @pytest.mark.parametrize("item", CREATION_ROWS)
    def test_refused_at_creation(self, item: Row, listener: Listener, api: dict[str, str]) -> None:
        url = item.url.format(port=listener.port)
        before = listener.connections
        with pytest.raises(UrlRejected):
            check_url(url, allow_private=False, allow_http=True)
        if item.private:  # refused for where it points, not for its shape
            assert check_url(url, allow_private=True, allow_http=True) == url
        with pytest.raises(ValidationError) as invalid:
            WebhookCreate(url=url, events=["model.*"])
        assert [error["loc"] for error in invalid.value.errors()] == [("url",)]
        status, body = call_api("POST", "/v1/webhooks", body={"url": url, "events": ["model.*"]})
        assert 400 <= status < 500 and body["field"] == "url", body
        assert call_api("GET", "/v1/webhooks")[1]["webhooks"] == []
        assert boto3.client("dynamodb").scan(TableName=api["TABLE_NAME"])["Count"] == 0
        assert boto3.client("secretsmanager").list_secrets()["SecretList"] == []
        assert listener.connections == before  # creation never connects


@pytest.mark.parametrize("item", CREATION_ROWS + CONNECT_ROWS)
def test_never_reached_at_connect_time(item: Row, listener: Listener) -> None:
    """Even a stored URL (or one accepted at creation because its name looks public) never connects."""
    before = listener.connections
    result = send(item, listener.port, allow_private=False)
    assert_not_reached(listener, before, result, item)


@pytest.mark.parametrize("item", CONNECT_ROWS)
def test_public_looking_names_pass_creation(item: Row) -> None:
    """These are refused at connect time only: at creation the name is not resolved (DNS may change anyway)."""
    url = item.url.format(port=443)
    assert check_url(url, allow_private=False, allow_http=True) == url


CONTROL_ROWS = [
    row("control-v4", "http://127.0.0.1:{port}/", "control: loopback literal"),
    row("control-ideographic", "http://127。0。0。1:{port}/", "control: ideographic dots reach 127.0.0.1"),
    row("control-fullwidth", "http://１２７.０.０.１:{port}/", "control: full-width digits reach 127.0.0.1"),
    row("control-localhost", "http://localhost:{port}/", "control: loopback name"),
    row("control-dns", f"http://{NAME}:{{port}}/", "control: name resolving to loopback", dns={NAME: ["127.0.0.1"]}),
    row("control-dns-any", f"http://{NAME}:{{port}}/", "control: name resolving to 0.0.0.0", dns={NAME: ["0.0.0.0"]}),
]


@pytest.mark.parametrize("item", CONTROL_ROWS)
def test_control_allow_private_reaches_the_listener(item: Row, listener: Listener) -> None:
    """With ALLOW_PRIVATE_TARGETS (local development) the same forms DO connect: the listener is really there."""
    before = listener.connections
    result = send(item, listener.port, allow_private=True)
    assert result.status == 200 and result.body == b"ok", result
    assert listener.connections == before + 1


def test_control_v6_listener_is_reachable(listener: Listener) -> None:
    if listener.v6 is None:
        pytest.skip("no IPv6 loopback on this host")
    item = Row("control-v6", "http://[::1]:{port}/", "control: IPv6 loopback")
    before = listener.connections
    assert send(item, listener.port, allow_private=True).status == 200
    assert listener.connections == before + 1


# ---- DNS rebinding and multi-answer responses ----------------------------------------------------------------


def test_dns_rebinding_public_at_first_lookup_private_at_connect(listener: Listener) -> None:
    """The first lookup (a check) sees a public address; the lookup the connection uses sees the listener."""
    answers = iter([[PUBLIC_ADDRESS], ["127.0.0.1"], ["127.0.0.1"]])
    inner = FakeResolver({"rebind.example.com": lambda: next(answers)})
    sender = Transport(allow_private=False, timeout=1, resolver=inner)
    before = listener.connections

    async def run() -> HttpResult:
        checked = await GuardedResolver(False, inner).resolve("rebind.example.com", listener.port)
        assert [answer["host"] for answer in checked] == [PUBLIC_ADDRESS]  # the check passed...
        try:
            return await sender.post(f"http://rebind.example.com:{listener.port}/", b"{}", {})
        finally:
            await sender.close()

    result = asyncio.run(run())
    assert result.error_kind == "blocked" and "127.0.0.1" in (result.error or "")  # ...the connection did not
    assert inner.lookups == ["rebind.example.com", "rebind.example.com"]  # checked again, not trusted
    assert listener.connections == before


def test_multi_answer_is_refused_whole_not_filtered(listener: Listener) -> None:
    """One private answer refuses the name: skipping it would still let an attacker's DNS steer the connection
    (answer order, happy-eyeballs fallbacks, the next lookup), and a name with a private answer is not a public
    receiver. The public answer is not tried either (it would be a connection error, not 'blocked')."""
    inner = FakeResolver({NAME: [PUBLIC_ADDRESS, "127.0.0.1"]})

    async def run() -> str:
        with pytest.raises(transport.BlockedDestination) as refused:
            await GuardedResolver(False, inner).resolve(NAME, listener.port)
        return str(refused.value)

    assert "127.0.0.1" in asyncio.run(run())


# ---- redirects: a "public" receiver pointing at the private listener -----------------------------------------

PUBLIC_STAND_IN = "127.0.0.2"  # plays a public internet address (the guard is told so); 127.0.0.1 stays private


@pytest.fixture
def public_stand_in(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    real = transport.is_blocked
    stand_in = ipaddress.ip_address(PUBLIC_STAND_IN)
    monkeypatch.setattr(transport, "is_blocked", lambda address: address != stand_in and real(address))
    transport._literal_block_reason.cache_clear()
    try:
        probe = socket.socket()
        probe.bind((PUBLIC_STAND_IN, 0))
        probe.close()
    except OSError:
        pytest.skip(f"{PUBLIC_STAND_IN} is not a local address here")
    yield PUBLIC_STAND_IN
    transport._literal_block_reason.cache_clear()


def redirector(status: int, location: str) -> RawServer:
    reason = {301: "Moved Permanently", 302: "Found", 303: "See Other", 307: "Temporary Redirect"}.get(status, "")
    head = f"HTTP/1.1 {status} {reason or 'Permanent Redirect'}\r\nLocation: {location}\r\nContent-Length: 0\r\n"
    return RawServer(answer(head.encode() + b"Connection: close\r\n\r\n"), host=PUBLIC_STAND_IN)


REDIRECT_TARGETS = {
    "literal": "http://127.0.0.1:{port}/",
    "decimal": "http://2130706433:{port}/",
    "name": "http://localhost:{port}/",
    "dns": f"http://{NAME}:{{port}}/",
    "metadata": "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
}


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("target", list(REDIRECT_TARGETS))
def test_redirect_to_private_is_never_followed(
    status: int, target: str, listener: Listener, public_stand_in: str
) -> None:
    location = REDIRECT_TARGETS[target].format(port=listener.port)
    inner = FakeResolver({"public.example.com": [public_stand_in], NAME: ["127.0.0.1"], "localhost": ["127.0.0.1"]})
    sender = Transport(allow_private=False, timeout=1, resolver=inner)
    before = listener.connections
    with redirector(status, location) as public:

        async def run() -> HttpResult:
            try:
                return await sender.post(f"http://public.example.com:{public.port}/hook", b"{}", {})
            finally:
                await sender.close()

        result = asyncio.run(run())
    assert public.connections == 1  # the public receiver was reached...
    assert result.status == status and result.error_kind == "redirect"  # ...its redirect is a failed attempt
    assert location[:60] in (result.error or "") and "not followed" in (result.error or "")
    assert listener.connections == before and inner.lookups == ["public.example.com"]  # the target: never


# ---- the full dispatcher path ---------------------------------------------------------------------------------


@pytest.fixture
def dispatcher_with(aws: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Production guard (no private targets), plain http allowed, the test resolver as DNS, a recording ladder."""
    monkeypatch.setenv("ALLOW_PRIVATE_TARGETS", "false")
    monkeypatch.setenv("ALLOW_HTTP_TARGETS", "true")
    monkeypatch.setenv("HTTP_TIMEOUT_SECONDS", "1")
    scheduler = RecordingScheduler()

    def wire(resolver: FakeResolver) -> RecordingScheduler:
        made = functools.lru_cache(maxsize=1)(lambda: Transport(allow_private=False, timeout=1, resolver=resolver))
        monkeypatch.setattr(runtime, "transport", made)
        runtime.reset()
        runtime.use_scheduler(scheduler)
        return scheduler

    yield wire
    runtime.use_scheduler(None)


def deliver_once(url: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Create a webhook (through the API), publish one event, return (delivery detail, webhook)."""
    status, hook = call_api("POST", "/v1/webhooks", body={"url": url, "events": ["model.*"]})
    assert status == 201, hook
    assert dispatch(bus_event("model.trained", {"model_id": "m1"}, event_id="evt_ssrf")) == {"batchItemFailures": []}
    status, page = call_api("GET", f"/v1/webhooks/{hook['id']}/deliveries")
    [summary] = page["deliveries"]  # nothing lost: the delivery exists, with its outcome
    status, detail = call_api("GET", f"/v1/webhooks/{hook['id']}/deliveries/{summary['delivery_id']}")
    return detail, call_api("GET", f"/v1/webhooks/{hook['id']}")[1]


def test_dispatcher_dns_rebinding_is_failed_and_not_reached(dispatcher_with: Any, listener: Listener) -> None:
    answers = iter([[PUBLIC_ADDRESS], ["127.0.0.1"], ["127.0.0.1"]])
    inner = FakeResolver({"rebind.example.com": lambda: next(answers)})
    scheduler = dispatcher_with(inner)
    asyncio.run(GuardedResolver(False, inner).resolve("rebind.example.com"))  # the public answer, checked once
    before = listener.connections
    detail, hook = deliver_once(f"http://rebind.example.com:{listener.port}/hook")
    assert detail["status"] == "failed" and scheduler.handoffs == []  # blocked: not retried, kept for redrive
    [attempt] = detail["attempt_log"]
    assert attempt["outcome"] == "blocked" and "resolves to a blocked address (127.0.0.1)" in attempt["error"]
    assert "blocked address" in hook["last_error"]["message"]
    assert listener.connections == before


def test_dispatcher_name_resolving_private_is_failed_and_not_reached(dispatcher_with: Any, listener: Listener) -> None:
    dispatcher_with(FakeResolver({NAME: [PUBLIC_ADDRESS, "127.0.0.1"]}))
    before = listener.connections
    detail, _ = deliver_once(f"http://{NAME}:{listener.port}/hook")
    assert detail["status"] == "failed" and detail["attempt_log"][0]["outcome"] == "blocked"
    assert listener.connections == before


def test_dispatcher_redirect_to_private_is_a_failed_attempt(
    dispatcher_with: Any, listener: Listener, public_stand_in: str
) -> None:
    scheduler = dispatcher_with(FakeResolver({"public.example.com": [public_stand_in]}))
    before = listener.connections
    with redirector(302, f"http://127.0.0.1:{listener.port}/admin") as public:
        detail, hook = deliver_once(f"http://public.example.com:{public.port}/hook")
    assert public.connections == 1 and listener.connections == before
    [attempt] = detail["attempt_log"]
    assert attempt["outcome"] == "retry" and attempt["status_code"] == 302
    assert "redirected (HTTP 302)" in attempt["error"] and "not followed" in attempt["error"]
    assert detail["status"] == "retrying" and len(scheduler.handoffs) == 1  # on the ladder: not lost
    assert "not followed" in hook["last_error"]["message"]


ALL_ROWS = [p.values[0] for p in CREATION_ROWS + CONNECT_ROWS]


def test_matrix_is_at_least_forty_rows() -> None:
    assert len(ALL_ROWS) >= 40 and len({item.id for item in ALL_ROWS}) == len(ALL_ROWS)
