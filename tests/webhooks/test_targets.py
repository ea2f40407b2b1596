import ipaddress
import socket

import pytest

from webhooks.targets import Target, UnsafeTarget, check_target

PUBLIC_IPV4 = "93.184.216.34"
PUBLIC_IPV6 = "2606:2800:220:1:248:1893:25c8:1946"


class FakeResolver:
    """Answers like socket.getaddrinfo with fixed addresses and records what it was asked."""

    def __init__(self, *addresses: str):
        self.addresses = addresses
        self.calls: list[tuple] = []

    def __call__(self, host, port, *, type):
        self.calls.append((host, port, type))
        answers = []
        for address in self.addresses:
            if ":" in address:
                answers.append((socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0)))
            else:
                answers.append((socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port)))
        return answers


def no_dns(host, port, *, type):
    raise AssertionError(f"{host!r} must not be resolved")


def check(url: str, *, resolve=no_dns, allow_http: bool = False, allow_private: bool = False) -> Target:
    return check_target(url, allow_http=allow_http, allow_private=allow_private, resolve=resolve)


def test_public_https_url_is_accepted_with_its_resolved_addresses():
    resolver = FakeResolver(PUBLIC_IPV4, PUBLIC_IPV6)

    target = check("https://hooks.partner.example/events/ticket?v=2#ignored", resolve=resolver)

    assert target == Target(
        scheme="https",
        host="hooks.partner.example",
        port=443,
        path_and_query="/events/ticket?v=2",
        addresses=(PUBLIC_IPV4, PUBLIC_IPV6),
    )
    assert resolver.calls == [("hooks.partner.example", 443, socket.SOCK_STREAM)]


def test_target_host_keeps_the_name_while_addresses_hold_the_ips():
    target = check("https://hooks.partner.example:8443", resolve=FakeResolver(PUBLIC_IPV4))

    assert target.host == "hooks.partner.example"
    assert target.addresses == (PUBLIC_IPV4,)
    assert target.port == 8443
    assert target.path_and_query == "/"
    assert target.host_header == "hooks.partner.example:8443"


def test_duplicate_resolved_addresses_are_listed_once():
    target = check("https://hooks.partner.example/", resolve=FakeResolver(PUBLIC_IPV4, PUBLIC_IPV4))

    assert target.addresses == (PUBLIC_IPV4,)


def test_http_is_refused_unless_allowed():
    with pytest.raises(UnsafeTarget, match="scheme 'http' is not allowed"):
        check("http://hooks.partner.example/", resolve=FakeResolver(PUBLIC_IPV4))

    target = check("http://hooks.partner.example/", resolve=FakeResolver(PUBLIC_IPV4), allow_http=True)

    assert (target.scheme, target.port) == ("http", 80)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://hooks.partner.example/",
        "file:///etc/passwd",
        "gopher://hooks.partner.example:70/",
        "hooks.partner.example",
    ],
)
def test_other_schemes_are_refused(url):
    with pytest.raises(UnsafeTarget, match=r"scheme .* is not allowed"):
        check(url, allow_http=True, allow_private=True)


@pytest.mark.parametrize(
    "url",
    [
        "https://user:secret@hooks.partner.example/",
        "https://user@hooks.partner.example/",
        "https://hooks.partner.example@evil.example/",
        "https://@hooks.partner.example/",
    ],
)
def test_credentials_in_the_url_are_refused(url):
    resolver = FakeResolver(PUBLIC_IPV4)

    with pytest.raises(UnsafeTarget, match="userinfo"):
        check(url, resolve=resolver, allow_private=True)

    assert resolver.calls == []


@pytest.mark.parametrize("url", ["https:///path", "https://", "https://./", "https:hooks.partner.example"])
def test_a_missing_host_is_refused(url):
    with pytest.raises(UnsafeTarget, match="no host"):
        check(url, allow_private=True)


@pytest.mark.parametrize("url", ["https://bad%2fhost.example/", "https://bad\\host.example/", "https://a..b.example/"])
def test_malformed_host_names_are_refused(url):
    with pytest.raises(UnsafeTarget, match=r"not a valid host name|not allowed in a host name"):
        check(url, allow_private=True)


@pytest.mark.parametrize("port", ["0", "70000", "65536", "-1", "http"])
def test_ports_outside_1_to_65535_are_refused(port):
    with pytest.raises(UnsafeTarget, match=r"port .*not in 1\.\.65535"):
        check(f"https://hooks.partner.example:{port}/", resolve=FakeResolver(PUBLIC_IPV4), allow_private=True)


@pytest.mark.parametrize("port", [1, 65535])
def test_ports_at_the_edges_of_the_range_are_accepted(port):
    target = check(f"https://hooks.partner.example:{port}/", resolve=FakeResolver(PUBLIC_IPV4))

    assert target.port == port


UNSAFE_ADDRESSES = [
    ("10.0.0.1", "private"),
    ("10.255.255.255", "private"),
    ("172.16.0.1", "private"),
    ("172.31.255.254", "private"),
    ("192.168.1.1", "private"),
    ("127.0.0.1", "loopback"),
    ("127.8.9.10", "loopback"),
    ("169.254.1.1", "link-local"),
    ("169.254.169.254", "the cloud metadata address"),
    ("100.64.0.1", "shared address space (100.64.0.0/10)"),
    ("100.127.255.254", "shared address space (100.64.0.0/10)"),
    ("0.0.0.0", "unspecified"),
    ("224.0.0.1", "multicast"),
    ("239.255.255.250", "multicast"),
    ("240.0.0.1", "reserved"),
    ("255.255.255.255", "reserved"),
    ("::", "unspecified"),
    ("::1", "loopback"),
    ("fe80::1", "link-local"),
    ("fc00::1", "unique-local"),
    ("fd12:3456:789a::1", "unique-local"),
    ("fec0::1", "site-local"),
    ("ff02::1", "multicast"),
    ("::ffff:10.0.0.1", "an IPv6 form of 10.0.0.1, which is private"),
    ("::ffff:127.0.0.1", "an IPv6 form of 127.0.0.1, which is loopback"),
    ("::ffff:169.254.169.254", "an IPv6 form of 169.254.169.254, which is the cloud metadata address"),
    ("::127.0.0.1", "an IPv6 form of 127.0.0.1, which is loopback"),
    ("2002:7f00:1::1", "an IPv6 form of 127.0.0.1, which is loopback"),  # 6to4
    ("2001:0:4136:e378:8000:63bf:80ff:fffe", "an IPv6 form of 127.0.0.1, which is loopback"),  # Teredo client
    ("64:ff9b::a00:1", "an IPv6 form of 10.0.0.1, which is private"),  # NAT64
]


@pytest.mark.parametrize(("address", "reason"), UNSAFE_ADDRESSES)
def test_a_host_resolving_to_a_non_public_address_is_refused(address, reason):
    with pytest.raises(UnsafeTarget) as refused:
        check("https://hooks.partner.example/", resolve=FakeResolver(address))

    # The message shows the address as ipaddress writes it (::ffff:a00:1 before Python 3.13).
    written = str(ipaddress.ip_address(address))
    assert str(refused.value) == f"host 'hooks.partner.example' has address {written}, which is {reason}"


@pytest.mark.parametrize(("address", "reason"), UNSAFE_ADDRESSES)
def test_a_non_public_address_is_accepted_when_private_targets_are_allowed(address, reason):
    target = check("https://hooks.partner.example/", resolve=FakeResolver(address), allow_private=True)

    assert target.addresses == (str(ipaddress.ip_address(address)),)


def test_an_ipv4_mapped_public_address_is_accepted():
    target = check("https://hooks.partner.example/", resolve=FakeResolver("::ffff:8.8.8.8"))

    assert target.addresses == (str(ipaddress.ip_address("::ffff:8.8.8.8")),)


@pytest.mark.parametrize("addresses", [(PUBLIC_IPV4, "10.0.0.1"), ("10.0.0.1", PUBLIC_IPV4), (PUBLIC_IPV6, "::1")])
def test_a_host_with_one_public_and_one_private_address_is_refused(addresses):
    with pytest.raises(UnsafeTarget, match=r"which is (private|loopback)"):
        check("https://hooks.partner.example/", resolve=FakeResolver(*addresses))


def test_a_host_resolving_to_nothing_is_refused():
    with pytest.raises(UnsafeTarget, match="resolved to no address"):
        check("https://hooks.partner.example/", resolve=FakeResolver())


def test_a_dns_failure_is_raised_unchanged_so_it_can_be_retried():
    def failing(host, port, *, type):
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    with pytest.raises(socket.gaierror):
        check("https://hooks.partner.example/", resolve=failing)


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "2130706433",  # decimal
        "0177.0.0.1",  # octal
        "0x7f.1",  # hex, short
        "0x7F000001",  # hex, whole
        "127.1",  # short
        "127.0.1",
        "017700000001",  # octal, whole
        "127.0.0.1.",  # trailing dot
    ],
)
def test_ipv4_literals_in_every_libc_form_are_read_as_loopback_and_refused(host):
    with pytest.raises(UnsafeTarget, match=r"has address 127\.0\.0\.1, which is loopback"):
        check(f"http://{host}/", allow_http=True)


def test_ipv4_literal_is_not_resolved_and_keeps_its_written_form_as_host():
    target = check("http://2130706433:8080/", allow_http=True, allow_private=True)

    assert (target.host, target.addresses, target.port) == ("2130706433", ("127.0.0.1",), 8080)


def test_public_ipv4_literal_is_accepted_without_dns():
    target = check(f"https://{PUBLIC_IPV4}/hook")

    assert target.addresses == (PUBLIC_IPV4,)


@pytest.mark.parametrize(
    ("url", "address"),
    [
        ("https://[::1]/", "::1"),
        ("https://[::ffff:127.0.0.1]/", str(ipaddress.ip_address("::ffff:127.0.0.1"))),
        ("https://[0:0:0:0:0:0:0:1]:8443/", "::1"),
        ("https://[FE80::1]/", "fe80::1"),
    ],
)
def test_ipv6_literals_are_refused(url, address):
    with pytest.raises(UnsafeTarget, match=f"has address {address}, which is"):
        check(url)


def test_ipv6_literal_with_a_zone_identifier_is_refused():
    with pytest.raises(UnsafeTarget, match="zone identifiers"):
        check("https://[fe80::1%25eth0]/", allow_private=True)


def test_public_ipv6_literal_is_accepted_and_bracketed_in_the_host_header():
    target = check(f"https://[{PUBLIC_IPV6.upper()}]/")

    assert (target.host, target.addresses) == (PUBLIC_IPV6, (PUBLIC_IPV6,))
    assert target.host_header == f"[{PUBLIC_IPV6}]"


def test_uppercase_host_and_trailing_dot_are_normalised_before_resolving():
    resolver = FakeResolver(PUBLIC_IPV4)

    target = check("HTTPS://Hooks.Partner.EXAMPLE./events", resolve=resolver)

    assert (target.scheme, target.host, target.host_header) == (
        "https",
        "hooks.partner.example",
        "hooks.partner.example",
    )
    assert resolver.calls == [("hooks.partner.example", 443, socket.SOCK_STREAM)]


def test_international_host_name_is_idna_encoded_before_resolving():
    resolver = FakeResolver(PUBLIC_IPV4)

    target = check("https://Bücher.example/", resolve=resolver)

    assert target.host == "xn--bcher-kva.example"
    assert resolver.calls == [("xn--bcher-kva.example", 443, socket.SOCK_STREAM)]


def test_unsafe_target_is_a_value_error():
    assert issubclass(UnsafeTarget, ValueError)
