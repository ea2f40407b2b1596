"""A receiver for Bank SulutGo ServiceDesk webhooks, on the Python standard library alone.

    WEBHOOK_SECRET=whsec_... python examples/webhook_receiver.py --port 9000

For every POST it:

1. checks the Standard Webhooks signature (``webhook-id``, ``webhook-timestamp``,
   ``webhook-signature``) and refuses a timestamp more than 5 minutes from now: 401;
2. checks ``X-Webhook-Signature``, the HMAC of the body alone (see ``is_authentic``): 401;
3. answers 200 to an event id it has already processed, and does not process it again;
4. hands the parsed event to ``on_event`` and answers 204.

Copying it: serve it behind HTTPS (we only send to https URLs). Make ``on_event`` quick:
store or queue the event and return, and do the work elsewhere; we wait 10 seconds for an
answer. If ``on_event`` raises, the receiver answers 500 and we send the event again later.
The ids seen are kept in memory here, so a restart forgets them; in production keep them in
your database (a unique column, written with the event). See docs/webhooks.md.
"""

import argparse
import base64
import hashlib
import hmac
import json
import os
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOLERANCE_SECONDS = 300
MAX_BODY_BYTES = 1024 * 1024
REMEMBERED_IDS = 100_000


def decode_secret(secret: str) -> bytes:
    """The HMAC key: the base64-decoded bytes after ``whsec_``, not the text of the secret."""
    if not secret.startswith("whsec_"):
        raise ValueError("a webhook secret starts with whsec_")
    return base64.b64decode(secret.removeprefix("whsec_"), validate=True)


def standard_signature_is_valid(key: bytes, headers, body: bytes, now: float) -> bool:
    message_id = headers.get("webhook-id", "")
    timestamp = headers.get("webhook-timestamp", "")
    signatures = headers.get("webhook-signature", "")
    if not (message_id and timestamp.isascii() and timestamp.isdigit() and signatures):
        return False
    if abs(now - int(timestamp)) > TOLERANCE_SECONDS:
        return False  # a replay, or a clock far off
    signed = f"{message_id}.{timestamp}.".encode() + body
    expected = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    # One "v1,<base64>" entry per secret in use: two while a secret is being rotated.
    return any(hmac.compare_digest(expected.encode(), entry.encode()) for entry in signatures.split())


def body_signature_is_valid(key: bytes, header_value: str, body: bytes) -> bool:
    expected = "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), header_value.encode())


def is_authentic(key: bytes, headers, body: bytes, now: float) -> bool:
    if not standard_signature_is_valid(key, headers, body, now):
        return False
    # X-Webhook-Signature is made with one secret: the old one while a secret is being
    # rotated (two webhook-signature entries), so a receiver that already holds the new
    # secret cannot check it then; the Standard Webhooks signature above covers the body.
    rotating = len(headers["webhook-signature"].split()) > 1
    return rotating or body_signature_is_valid(key, headers.get("X-Webhook-Signature", ""), body)


def print_event(event: dict) -> None:
    print(event["eventId"], event["event"], event["ticketNumber"], event["sequence"], flush=True)


class WebhookReceiver(ThreadingHTTPServer):
    def __init__(self, address: tuple[str, int], key: bytes, on_event: Callable[[dict], object]) -> None:
        super().__init__(address, WebhookHandler)
        self.key = key
        self.on_event = on_event
        self._seen_ids: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def first_time(self, message_id: str) -> bool:
        """Remember ``message_id``; False if it was already remembered."""
        with self._lock:
            if message_id in self._seen_ids:
                return False
            self._seen_ids[message_id] = None
            if len(self._seen_ids) > REMEMBERED_IDS:
                self._seen_ids.popitem(last=False)
            return True

    def forget(self, message_id: str) -> None:
        with self._lock:
            self._seen_ids.pop(message_id, None)


class WebhookHandler(BaseHTTPRequestHandler):
    server: WebhookReceiver

    def do_POST(self) -> None:
        length = self.headers.get("Content-Length", "")
        if not (length.isascii() and length.isdigit()):
            return self._answer(411)
        if int(length) > MAX_BODY_BYTES:
            return self._answer(413)
        body = self.rfile.read(int(length))

        if not is_authentic(self.server.key, self.headers, body, time.time()):
            return self._answer(401)
        try:
            event = json.loads(body)
        except ValueError:
            return self._answer(400)
        message_id = self.headers["webhook-id"]
        if not self.server.first_time(message_id):
            return self._answer(200)  # a redelivery of an event already processed
        try:
            self.server.on_event(event)
        except Exception as error:
            self.server.forget(message_id)  # so that our next attempt is processed
            self.log_error("processing %s failed: %r", message_id, error)
            return self._answer(500)
        return self._answer(204)

    def _answer(self, status: int) -> None:
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_request(self, code="-", size="-") -> None:
        pass  # print_event writes one line per event instead of one per request


def make_server(
    secret: str, port: int, on_event: Callable[[dict], object] = print_event, host: str = "127.0.0.1"
) -> ThreadingHTTPServer:
    """A receiver bound to ``host:port`` (port 0: any free port); call ``serve_forever()``."""
    return WebhookReceiver((host, port), decode_secret(secret), on_event)


def main() -> None:
    parser = argparse.ArgumentParser(description="Receive Bank SulutGo ServiceDesk webhooks.")
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    arguments = parser.parse_args()
    secret = os.environ.get("WEBHOOK_SECRET", "")
    if not secret:
        parser.error("set WEBHOOK_SECRET to your webhook secret (whsec_...)")
    server = make_server(secret, arguments.port, host=arguments.host)
    print(f"listening on http://{arguments.host}:{server.server_port}/", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
