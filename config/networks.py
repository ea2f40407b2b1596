"""Is a client address in a list of networks: API keys' allow-lists and /metrics."""

import ipaddress
from functools import lru_cache


def address_in(address: str, networks: tuple[str, ...]) -> bool:
    """False for anything that is not an IP address; an IPv4-mapped IPv6 address
    (::ffff:10.0.0.1, as a dual-stack socket reports it) is matched as its IPv4 form."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return any(ip in network for network in _parsed(networks))


@lru_cache(maxsize=256)
def _parsed(networks: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(network, strict=False) for network in networks)
