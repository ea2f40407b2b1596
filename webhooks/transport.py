"""One HTTP POST of a webhook to a checked target (webhooks/targets.py).

The connection goes to the address that was checked, never to a fresh DNS answer, while
the Host header and the TLS server name (and certificate check) use the host name. No
redirect is followed, no proxy from the environment is used, and at most
`max_response_bytes` of the answer are read, undecoded, so a hostile receiver can neither
point us elsewhere nor make us read a bomb.
"""

import time
from dataclasses import dataclass

import certifi
import urllib3
from urllib3.exceptions import ConnectTimeoutError, HTTPError

from webhooks.targets import Target

EXCERPT_BYTES = 1024


@dataclass(frozen=True)
class Answer:
    status_code: int | None  # None: no HTTP answer
    latency_ms: int
    error: str = ""
    excerpt: str = ""
    retry_after: str | None = None
    location: str | None = None


def post(
    target: Target,
    *,
    body: bytes,
    headers: dict[str, str],
    connect_timeout: float,
    read_timeout: float,
    max_response_bytes: int,
) -> Answer:
    started = time.monotonic()
    timeout = urllib3.Timeout(connect=connect_timeout, read=read_timeout)
    error = ""
    # A host with several addresses: the next one is tried only when the connection could
    # not be made, never after the request may have reached the receiver.
    for address in target.addresses:
        pool = _pool(target, address, timeout)
        try:
            response = pool.urlopen(
                "POST",
                target.path_and_query,
                body=body,
                headers={**headers, "Host": target.host_header},
                redirect=False,
                retries=False,
                assert_same_host=False,
                preload_content=False,
                decode_content=False,
            )
            try:
                content = response.read(max_response_bytes, decode_content=False)
            finally:
                response.close()
            return Answer(
                status_code=response.status,
                latency_ms=_elapsed_ms(started),
                excerpt=content[:EXCERPT_BYTES].decode("utf-8", errors="replace"),
                retry_after=response.headers.get("Retry-After"),
                location=response.headers.get("Location"),
            )
        except ConnectTimeoutError as exc:  # NewConnectionError too: nothing was sent
            error = f"cannot connect to {address}: {_reason(exc)}"
        except HTTPError as exc:
            return Answer(status_code=None, latency_ms=_elapsed_ms(started), error=_reason(exc))
        finally:
            pool.close()
    return Answer(status_code=None, latency_ms=_elapsed_ms(started), error=error[:500])


def _pool(target: Target, address: str, timeout: urllib3.Timeout) -> urllib3.HTTPConnectionPool:
    if target.scheme == "https":
        return urllib3.HTTPSConnectionPool(
            address,
            target.port,
            timeout=timeout,
            maxsize=1,
            retries=False,
            cert_reqs="CERT_REQUIRED",
            ca_certs=certifi.where(),
            server_hostname=target.host,
            assert_hostname=target.host,
        )
    return urllib3.HTTPConnectionPool(address, target.port, timeout=timeout, maxsize=1, retries=False)


def _elapsed_ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


def _reason(exc: Exception) -> str:
    # urllib3 wraps the cause; its message names the pool, which is enough for an operator.
    return f"{type(exc).__name__}: {exc}"[:500]
