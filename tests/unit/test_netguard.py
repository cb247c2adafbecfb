"""URL checks at creation and the address rule shared with the connect-time guard."""

import asyncio
import ipaddress

import pytest

from carrier.netguard import IPV6_SPECIAL_PURPOSE, UrlRejected, check_url, is_blocked, literal_address
from carrier.transport import BlockedDestination, GuardedResolver
from tests.resolver import FakeResolver


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://127.1/hook",
        "https://2130706433/hook",
        "https://0x7f000001/hook",
        "https://0177.0.0.1/hook",
        "https://0x7f.0.0.1/hook",
        "https://0.0.0.0/hook",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://[::ffff:10.0.0.1]/hook",
        "https://[::127.0.0.1]/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[fd00:ec2::254]/",
        "https://10.1.2.3/",
        "https://172.16.0.1/",
        "https://192.168.1.1/",
        "https://100.64.0.1/",
        "https://[fe80::1]/",
        "https://224.0.0.1/",
        "https://localhost/hook",
        "https://app.localhost/hook",
        "https://metadata.google.internal/",
        "https://localhost./hook",
    ],
)
def test_private_and_internal_targets_are_refused_at_creation(url: str) -> None:
    with pytest.raises(UrlRejected):
        check_url(url, allow_private=False, allow_http=False)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.com/x", "https"),
        ("http://example.com/x", "https"),
        ("https://user:pw@example.com/x", "credentials"),
        ("https://good.example@127.0.0.1/", "credentials"),
        ("https://example.com/" + "a" * 2050, "2048"),
        ("https:///nohost", "host"),
        ("https://exa mple.com/", "whitespace"),
        ("https://example.com:99999/", "malformed"),
    ],
)
def test_malformed_urls_name_their_reason(url: str, reason: str) -> None:
    with pytest.raises(UrlRejected, match=reason):
        check_url(url, allow_private=False, allow_http=False)


def test_public_and_unresolvable_names_are_accepted() -> None:
    assert check_url("https://example.com/hook", allow_private=False, allow_http=False)
    assert check_url("https://not-yet-registered.example/hook", allow_private=False, allow_http=False)
    assert check_url("https://93.184.216.34/hook", allow_private=False, allow_http=False)


def test_allow_private_targets_is_the_only_way_around() -> None:
    assert check_url("http://127.0.0.1:9000/hook", allow_private=True, allow_http=False)


def test_http_only_where_allowed() -> None:
    assert check_url("http://example.com/hook", allow_private=False, allow_http=True)


@pytest.mark.parametrize(
    ("host", "expected"),
    [("127.1", "127.0.0.1"), ("2130706433", "127.0.0.1"), ("0x7f.1", "127.0.0.1"), ("example.com", None)],
)
def test_legacy_ipv4_spellings_are_read_as_addresses(host: str, expected: str | None) -> None:
    found = literal_address(host)
    assert (str(found) if found else None) == expected


@pytest.mark.parametrize(
    ("address", "blocked"),
    [
        ("8.8.8.8", False),
        ("2606:4700:4700::1111", False),
        ("100.100.100.100", True),
        ("2002:7f00:1::", True),
        ("64:ff9b::7f00:1", True),
        ("198.18.0.1", True),
        ("::", True),
        ("ff02::1", True),
    ],
)
def test_address_rule(address: str, blocked: bool) -> None:
    assert is_blocked(ipaddress.ip_address(address)) is blocked


# ---- IPv6: global unicast outside IANA's special-purpose blocks (issue 16, item 6) ------------------------------

# One row per block of the IANA IPv6 Special-Purpose Address Registry (RFC 6890), plus the blocks outside it that
# Python's is_global gets wrong or that Carrier adds: (block, an address in it, blocked?). NAT64 and 6to4 follow
# the IPv4 rule for the address they embed, so they have a row each way.
IPV6_ROWS = [
    ("::1/128", "::1", True),
    ("::/128", "::", True),
    ("::ffff:0:0/96", "::ffff:8.8.8.8", True),
    ("64:ff9b::/96", "64:ff9b::7f00:1", True),  # 127.0.0.1
    ("64:ff9b::/96", "64:ff9b::a9fe:a9fe", True),  # 169.254.169.254
    ("64:ff9b::/96", "64:ff9b::808:808", False),  # 8.8.8.8
    ("64:ff9b:1::/48", "64:ff9b:1::808:808", True),
    ("100::/64", "100::1", True),
    ("2001::/23", "2001:100::1", True),
    ("2001::/32", "2001:0:4136:e378:8000:63bf:3fff:fdd2", True),
    ("2001:1::1/128", "2001:1::1", True),
    ("2001:1::2/128", "2001:1::2", True),
    ("2001:1::3/128", "2001:1::3", True),
    ("2001:2::/48", "2001:2::1", True),
    ("2001:3::/32", "2001:3::1", True),
    ("2001:4:112::/48", "2001:4:112::1", True),
    ("2001:10::/28", "2001:10::1", True),
    ("2001:20::/28", "2001:20::1", True),
    ("2001:30::/28", "2001:30::1", True),
    ("2001:db8::/32", "2001:db8::1", True),
    ("2002::/16", "2002:7f00:1::", True),  # 127.0.0.1
    ("2002::/16", "2002:a00:1::1", True),  # 10.0.0.1
    ("2002::/16", "2002:808:808::1", False),  # 8.8.8.8
    ("2620:4f:8000::/48", "2620:4f:8000::1", True),
    ("3fff::/20", "3fff:fff:ffff::1", True),
    ("5f00::/16", "5f00::1", True),
    ("fc00::/7", "fd12:3456::1", True),
    ("fe80::/10", "febf::1", True),
    ("fec0::/10", "fec0::1", True),  # site-local: Python's is_global calls it global
    ("fec0::/10", "feff::1", True),
    ("ff00::/8", "ff02::1", True),
    ("fd00:ec2::/32", "fd00:ec2::254", True),
    # global unicast itself, next to the blocks above
    ("2000::/3", "2606:4700:4700::1111", False),
    ("2000::/3", "2001:200::1", False),  # just past 2001::/23
    ("2000::/3", "2620:4f:8001::1", False),  # just past the AS112 block
    ("2000::/3", "3fff:1000::1", False),  # just past 3fff::/20
    ("2000::/3", "2000::1", False),
    ("2000::/3", "3fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", False),
    # outside 2000::/3: never public
    ("::/3 outside", "1fff:ffff::1", True),
    ("::/3 outside", "4000::1", True),
    ("::/3 outside", "e000::1", True),
]


def test_every_special_purpose_block_has_a_row() -> None:
    tested = {block for block, _, _ in IPV6_ROWS}
    assert {str(block.network) for block in IPV6_SPECIAL_PURPOSE} <= tested
    assert all(block.name and block.source for block in IPV6_SPECIAL_PURPOSE)


@pytest.mark.parametrize(("block", "address", "blocked"), IPV6_ROWS, ids=[row[1] for row in IPV6_ROWS])
def test_ipv6_rule(block: str, address: str, blocked: bool) -> None:
    ip = ipaddress.IPv6Address(address)
    if "/" in block and not block.endswith("outside"):
        assert ip in ipaddress.IPv6Network(block)
    assert is_blocked(ip) is blocked


@pytest.mark.parametrize(("block", "address", "blocked"), IPV6_ROWS, ids=[row[1] for row in IPV6_ROWS])
def test_ipv6_rule_at_creation_and_at_connect_time(block: str, address: str, blocked: bool) -> None:
    """The same answer from the creation check (a literal in the URL) and the connect-time resolver (an answer)."""
    url = f"https://[{address}]/hook"
    if blocked:
        with pytest.raises(UrlRejected, match="private"):
            check_url(url, allow_private=False, allow_http=False)
    else:
        assert check_url(url, allow_private=False, allow_http=False) == url
    resolver = GuardedResolver(allow_private=False, inner=FakeResolver({"hooks.example.com": [address]}))
    if blocked:
        with pytest.raises(BlockedDestination):
            asyncio.run(resolver.resolve("hooks.example.com", 443))
    else:
        assert [answer["host"] for answer in asyncio.run(resolver.resolve("hooks.example.com", 443))] == [address]


def test_python_calls_site_local_global_which_is_why_the_rule_does_not_ask_it() -> None:
    assert ipaddress.IPv6Address("fec0::1").is_global  # if this changes, the rule above still holds
