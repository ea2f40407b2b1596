"""Raw API keys, webhook secrets, IP allow-lists and key settings."""

import base64
import hashlib
import re

import pytest

from apikeys.keys import digest_key, generate_key, generate_webhook_secret, key_matches, parse_prefix
from apikeys.models import ApiKey
from apikeys.services import InvalidKeySettings, address_allowed, validate_networks, validate_permissions

KEY_FORMAT = re.compile(r"sdk_(?P<prefix>[0-9a-f]{8})_(?P<secret>[A-Za-z0-9_-]+)")
HEX_SHA256 = re.compile(r"[0-9a-f]{64}")


def test_generated_key_is_scheme_prefix_and_secret():
    new_key = generate_key()

    match = KEY_FORMAT.fullmatch(new_key.raw)
    assert match is not None, new_key.raw
    assert match["prefix"] == new_key.prefix


def test_generated_key_secret_carries_256_random_bits():
    secret = KEY_FORMAT.fullmatch(generate_key().raw)["secret"]

    assert len(base64.urlsafe_b64decode(secret + "=" * (-len(secret) % 4))) == 32


def test_generated_key_is_stored_as_the_sha256_of_the_whole_raw_key():
    new_key = generate_key()

    assert new_key.digest == hashlib.sha256(new_key.raw.encode()).hexdigest()


def test_generated_key_parses_back_to_its_prefix_and_matches_its_digest():
    new_key = generate_key()

    assert parse_prefix(new_key.raw) == new_key.prefix
    assert key_matches(new_key.raw, new_key.digest) is True


def test_two_generated_keys_differ():
    first, second = generate_key(), generate_key()

    assert first.raw != second.raw
    assert first.digest != second.digest


@pytest.mark.parametrize(
    ("raw_key", "prefix"),
    [
        ("sdk_0a1b2c3d_Zm9vYmFyYmF6", "0a1b2c3d"),
        ("sdk_0a1b2c3d_secret_with_underscores", "0a1b2c3d"),
        ("sdk_0a1b2c3d_-x", "0a1b2c3d"),
    ],
)
def test_parse_prefix_of_a_well_formed_key(raw_key, prefix):
    assert parse_prefix(raw_key) == prefix


@pytest.mark.parametrize(
    "raw_key",
    [
        "",
        "sdk",
        "sdk_",
        "sdk__secret",
        "pk_0a1b2c3d_secret",
        "SDK_0a1b2c3d_secret",
        "sdkx_0a1b2c3d_secret",
        "0a1b2c3d_secret",
        "sdk_0a1b2c3_secret",
        "sdk_0a1b2c3d9_secret",
        "sdk_0a1b2c3d",
        "sdk_0a1b2c3d_",
        "Bearer sdk_0a1b2c3d_secret",
    ],
    ids=[
        "empty",
        "scheme-only",
        "scheme-and-separator",
        "empty-prefix",
        "wrong-scheme",
        "upper-case-scheme",
        "longer-scheme",
        "no-scheme",
        "short-prefix",
        "long-prefix",
        "missing-secret",
        "empty-secret",
        "auth-scheme-included",
    ],
)
def test_parse_prefix_of_a_malformed_key_is_none(raw_key):
    assert parse_prefix(raw_key) is None


def test_key_matches_its_own_digest_only():
    raw_key = "sdk_0a1b2c3d_correct-horse-battery-staple"
    stored = hashlib.sha256(raw_key.encode()).hexdigest()

    assert key_matches(raw_key, stored) is True
    assert key_matches("sdk_0a1b2c3d_correct-horse-battery-stapler", stored) is False
    assert key_matches("sdk_0a1b2c3e_correct-horse-battery-staple", stored) is False
    assert key_matches("", stored) is False


def test_digest_is_sha256_hex():
    digest = digest_key("sdk_0a1b2c3d_secret")

    assert digest == hashlib.sha256(b"sdk_0a1b2c3d_secret").hexdigest()
    assert HEX_SHA256.fullmatch(digest)


def test_webhook_secret_is_whsec_and_base64_of_exactly_32_bytes():
    secret = generate_webhook_secret()

    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) == 32


def test_two_webhook_secrets_differ():
    assert generate_webhook_secret() != generate_webhook_secret()


def _key(*networks: str) -> ApiKey:
    return ApiKey(allowed_networks=list(networks))


@pytest.mark.parametrize("address", ["203.0.113.7", "10.0.0.5", "2001:db8::1", "::ffff:10.0.0.5"])
def test_empty_network_list_allows_any_address(address):
    assert address_allowed(api_key=_key(), address=address) is True


@pytest.mark.parametrize(
    ("networks", "address", "allowed"),
    [
        (["10.0.0.0/24"], "10.0.0.5", True),
        (["10.0.0.0/24"], "10.0.0.0", True),
        (["10.0.0.0/24"], "10.0.0.255", True),
        (["10.0.0.0/24"], "10.0.1.5", False),
        (["10.0.0.0/24"], "192.168.0.5", False),
        (["203.0.113.7/32"], "203.0.113.7", True),
        (["203.0.113.7/32"], "203.0.113.8", False),
        (["10.0.0.0/24", "198.51.100.0/24"], "198.51.100.20", True),
        (["10.0.0.0/24", "198.51.100.0/24"], "198.51.101.20", False),
    ],
)
def test_ipv4_address_is_allowed_only_inside_a_listed_range(networks, address, allowed):
    assert address_allowed(api_key=_key(*networks), address=address) is allowed


@pytest.mark.parametrize(
    ("networks", "address", "allowed"),
    [
        (["2001:db8::/32"], "2001:db8::1", True),
        (["2001:db8::/32"], "2001:db8:ffff::42", True),
        (["2001:db8::/32"], "2001:db9::1", False),
        (["2001:db8::/32"], "10.0.0.5", False),
        (["10.0.0.0/8"], "2001:db8::1", False),
    ],
)
def test_ipv6_address_is_allowed_only_inside_a_listed_range(networks, address, allowed):
    assert address_allowed(api_key=_key(*networks), address=address) is allowed


@pytest.mark.parametrize(
    ("address", "allowed"),
    [("::ffff:10.0.0.5", True), ("::ffff:10.255.255.255", True), ("::ffff:192.168.0.1", False)],
)
def test_ipv4_mapped_ipv6_address_is_matched_against_ipv4_ranges(address, allowed):
    assert address_allowed(api_key=_key("10.0.0.0/8"), address=address) is allowed


@pytest.mark.parametrize(
    "address",
    ["", "not-an-ip", "10.0.0", "10.0.0.256", "10.0.0.5, 10.0.0.6", "10.0.0.5:443", " 10.0.0.5"],
)
def test_garbage_address_is_refused_when_networks_are_listed(address):
    assert address_allowed(api_key=_key("10.0.0.0/8"), address=address) is False


def test_validate_permissions_returns_the_sorted_distinct_permissions():
    permissions = ["omnichannel:update", "omnichannel:read", "omnichannel:read", "omnichannel:create"]

    assert validate_permissions(permissions) == ["omnichannel:create", "omnichannel:read", "omnichannel:update"]


@pytest.mark.parametrize(
    "permissions",
    [[], ["omnichannel:delete"], ["omnichannel:read", "admin"], ["READ"], ["omnichannel:read "]],
    ids=["none", "unknown", "one-unknown-among-known", "label-not-value", "trailing-space"],
)
def test_validate_permissions_refuses_empty_or_unknown_permissions(permissions):
    with pytest.raises(InvalidKeySettings):
        validate_permissions(permissions)


@pytest.mark.parametrize(
    ("networks", "expected"),
    [
        ([], []),
        (["10.0.0.0/24"], ["10.0.0.0/24"]),
        (["10.0.0.9/24"], ["10.0.0.0/24"]),
        ([" 203.0.113.7 "], ["203.0.113.7/32"]),
        (["2001:db8::/32"], ["2001:db8::/32"]),
        (["", "  ", "198.51.100.0/24"], ["198.51.100.0/24"]),
    ],
)
def test_validate_networks_normalises_addresses_and_ranges(networks, expected):
    assert validate_networks(networks) == expected


@pytest.mark.parametrize(
    "networks",
    [["not-a-network"], ["10.0.0.0/33"], ["10.0.0.256"], ["10.0.0.0/24", "garbage"], ["2001:db8::/129"]],
)
def test_validate_networks_refuses_invalid_addresses_and_ranges(networks):
    with pytest.raises(InvalidKeySettings):
        validate_networks(networks)
