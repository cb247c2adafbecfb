"""URL checks at creation and the address rule shared with the connect-time guard."""

import ipaddress

import pytest

from carrier.netguard import UrlRejected, check_url, is_blocked, literal_address


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
