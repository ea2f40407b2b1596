"""The limits a delivery keeps against a slow, silent, hostile or re-binding receiver, each
against a real socket on 127.0.0.1: how much of an answer is read, which address is
connected to, the timeouts, the latency kept; and which comments raise a delivery."""

import io
import json
import socket
import string
import threading
import time

import pytest
from django.conf import settings

from tests.factories import UserFactory
from tests.omnichannel.test_update import patch
from tests.webhooks.receiver import Receiver
from tests.webhooks.test_delivery import create_ticket
from tickets.actors import Actor
from tickets.services import comment_add
from webhooks import targets
from webhooks.delivery import attempt_delivery
from webhooks.models import Delivery, DeliveryStatus

MAX_RESPONSE_BYTES = 64 * 1024
# What a read pulls from the socket at a time (http.client's buffered socket file): the
# most that can be read past the cap.
READ_CHUNK_BYTES = io.DEFAULT_BUFFER_SIZE
HUGE_BODY = (string.ascii_letters * (8 * 1024 * 1024 // len(string.ascii_letters) + 1)).encode()[: 8 * 1024 * 1024]


class FloodingReceiver:
    """A raw HTTP server that answers one POST with a huge body, written as fast as the
    client takes it, and records how much of the body it could write before the client
    hung up. Chunked: the body goes as one chunk of `Transfer-Encoding: chunked`."""

    def __init__(self, *, status: int, body: bytes, chunked: bool = False) -> None:
        self.body = body
        self.body_bytes_sent = 0
        self.hung_up_on = False
        if chunked:
            self.head = f"HTTP/1.1 {status} X\r\nTransfer-Encoding: chunked\r\n\r\n{len(body):x}\r\n".encode()
        else:
            self.head = f"HTTP/1.1 {status} X\r\nContent-Length: {len(body)}\r\n\r\n".encode()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(30)
        self.port = self._listener.getsockname()[1]
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def wait_until_done(self) -> None:
        assert self._done.wait(timeout=30), "the flooding receiver did not finish"

    def __enter__(self) -> "FloodingReceiver":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._listener.close()

    def _serve(self) -> None:
        try:
            connection, _ = self._listener.accept()
            with connection:
                # A small send buffer, so that what is counted as sent is close to what
                # the client's kernel took in.
                connection.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
                connection.settimeout(30)
                _read_request(connection)
                connection.sendall(self.head)
                body = memoryview(self.body)
                while self.body_bytes_sent < len(body):
                    try:
                        self.body_bytes_sent += connection.send(body[self.body_bytes_sent :][: 16 * 1024])
                    except (BrokenPipeError, ConnectionResetError):
                        self.hung_up_on = True
                        return
        finally:
            self._done.set()


def _read_request(connection: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        data += connection.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        body += connection.recv(65536)
    return body


def port_of(receiver: Receiver) -> int:
    return int(receiver.url.split(":")[2].split("/")[0])


@pytest.fixture
def bytes_received_from(monkeypatch):
    """Counts the bytes this process takes out of sockets connected to a given port: a
    pass-through watch on the socket, below the HTTP client."""
    received: dict[int, int] = {}
    real_recv_into = socket.socket.recv_into

    def counting_recv_into(sock, buffer, *args):
        try:
            port = sock.getpeername()[1]
        except OSError:
            port = None
        count = real_recv_into(sock, buffer, *args)
        received[port] = received.get(port, 0) + count
        return count

    monkeypatch.setattr(socket.socket, "recv_into", counting_recv_into)
    return received


@pytest.mark.parametrize("status_code", [200, 503])
@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_no_more_than_64_kb_of_a_huge_answer_are_read_and_its_first_1_kb_kept(
    api_client, reference_data, bytes_received_from, status_code, chunked
):
    assert settings.WEBHOOK_MAX_RESPONSE_BYTES == MAX_RESPONSE_BYTES
    with FloodingReceiver(status=status_code, body=HUGE_BODY, chunked=chunked) as receiver:
        delivery = Delivery.objects.get(ticket=create_ticket(api_client, receiver.url))

        outcome = attempt_delivery(delivery.pk)
        receiver.wait_until_done()

    assert outcome.attempt.status_code == status_code
    assert outcome.status == (DeliveryStatus.DELIVERED if status_code == 200 else DeliveryStatus.PENDING)
    assert outcome.attempt.response_excerpt == HUGE_BODY[:1024].decode()
    assert len(outcome.attempt.response_excerpt) == 1024
    # What was taken from the socket: the head, the 64 KB cap, and at most the rest of
    # the last read chunk.
    body_bytes_read = bytes_received_from[receiver.port] - len(receiver.head)
    assert MAX_RESPONSE_BYTES <= body_bytes_read <= MAX_RESPONSE_BYTES + READ_CHUNK_BYTES
    # The receiver's side: the connection was dropped long before the 8 MB were written
    # (what it did write includes what the kernels buffered).
    assert receiver.hung_up_on
    assert receiver.body_bytes_sent < 1024 * 1024


def test_the_connection_goes_to_the_checked_address_not_to_a_second_dns_answer(api_client, reference_data, monkeypatch):
    # given a host name whose first DNS answer is the receiver (127.0.0.1) and every later
    # answer another address where a listener stands on the same port
    real_getaddrinfo = socket.getaddrinfo
    lookups: list[str] = []

    def rebinding_getaddrinfo(host, port, *args, **kwargs):
        if host != "rebind.example":
            return real_getaddrinfo(host, port, *args, **kwargs)
        lookups.append(host)
        address = "127.0.0.1" if len(lookups) == 1 else "127.0.0.2"
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding_getaddrinfo)
    # The check's resolver is bound when webhooks.targets is imported.
    monkeypatch.setitem(targets.check_target.__kwdefaults__, "resolve", rebinding_getaddrinfo)

    with Receiver() as receiver, socket.create_server(("127.0.0.2", port_of(receiver))) as other:
        port = port_of(receiver)
        other.setblocking(False)
        delivery = Delivery.objects.get(
            ticket=create_ticket(api_client, f"http://rebind.example:{port}/hooks/servicedesk")
        )

        # when
        outcome = attempt_delivery(delivery.pk)

        # then the checked address got the event, and the second answer was never asked for
        assert outcome.status == DeliveryStatus.DELIVERED
        (request,) = receiver.received
        assert request.headers["host"] == f"rebind.example:{port}"
        assert request.headers["webhook-id"] == delivery.event_id
        assert lookups == ["rebind.example"]
        with pytest.raises(BlockingIOError):
            other.accept()  # no connection, not even one left unanswered


def test_the_timeouts_are_3_seconds_to_connect_and_10_to_read_by_default(api_client, reference_data, monkeypatch):
    assert (settings.WEBHOOK_CONNECT_TIMEOUT, settings.WEBHOOK_READ_TIMEOUT) == (3, 10)
    # What the delivery sets on its socket, watched from below the HTTP client: the
    # connect timeout before connecting, the read timeout once connected.
    test_thread = threading.get_ident()
    set_on_sockets: list[tuple[float, int | None]] = []
    real_settimeout = socket.socket.settimeout

    def recording_settimeout(sock, value):
        if threading.get_ident() == test_thread:
            try:
                peer_port = sock.getpeername()[1]
            except OSError:
                peer_port = None  # not connected yet
            set_on_sockets.append((value, peer_port))
        return real_settimeout(sock, value)

    with Receiver() as receiver:
        delivery = Delivery.objects.get(ticket=create_ticket(api_client, receiver.url))
        port = port_of(receiver)
        monkeypatch.setattr(socket.socket, "settimeout", recording_settimeout)

        outcome = attempt_delivery(delivery.pk)

    assert outcome.status == DeliveryStatus.DELIVERED
    assert set_on_sockets == [(3.0, None), (10.0, port)]


def test_a_receiver_that_accepts_the_connection_but_never_answers_is_retried_after_the_read_timeout(
    api_client, reference_data, settings
):
    settings.WEBHOOK_READ_TIMEOUT = 0.5
    # The kernel completes the handshake and takes the request; nothing ever answers.
    with socket.create_server(("127.0.0.1", 0)) as silent:
        port = silent.getsockname()[1]
        delivery = Delivery.objects.get(ticket=create_ticket(api_client, f"http://127.0.0.1:{port}/hooks"))

        outcome = attempt_delivery(delivery.pk)

    assert outcome.status == DeliveryStatus.PENDING
    attempt = outcome.attempt
    assert attempt.status_code is None
    assert attempt.error == (
        f"ReadTimeoutError: HTTPConnectionPool(host='127.0.0.1', port={port}): Read timed out. (read timeout=0.5)"
    )
    assert attempt.response_excerpt == ""
    assert attempt.latency_ms >= 500  # it waited the read timeout out
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempt_count, delivery.last_status_code) == ("PENDING", 1, None)
    assert delivery.last_error == attempt.error


def test_the_latency_kept_is_a_whole_number_of_milliseconds_covering_the_receivers_delay(api_client, reference_data):
    with Receiver() as receiver:
        delivery = Delivery.objects.get(ticket=create_ticket(api_client, receiver.url))
        receiver.hold()

        def answer_200_ms_after_the_request_arrived():
            receiver.wait_for_arrival(1)
            time.sleep(0.2)
            receiver.release()

        releaser = threading.Thread(target=answer_200_ms_after_the_request_arrived)
        releaser.start()
        outcome = attempt_delivery(delivery.pk)
        releaser.join()

    assert outcome.status == DeliveryStatus.DELIVERED
    stored = delivery.attempts.get()
    assert type(stored.latency_ms) is int
    assert stored.latency_ms == outcome.attempt.latency_ms
    assert stored.latency_ms >= 200


def test_the_partners_own_comment_raises_no_webhook_but_an_agents_public_reply_does(
    api_client, reference_data, partner
):
    with Receiver() as receiver:
        ticket = create_ticket(api_client, receiver.url)

    response = patch(api_client, ticket, {"action": "ADD_COMMENT", "comment": "Customer sent more details"})

    assert response.status_code == 200, response.json()
    assert list(Delivery.objects.filter(ticket=ticket).values_list("sequence", "event")) == [(1, "TICKET_CREATED")]

    comment_add(ticket=ticket, body="We have found your card.", actor=Actor.for_agent(UserFactory()))

    assert list(Delivery.objects.filter(ticket=ticket).order_by("sequence").values_list("sequence", "event")) == [
        (1, "TICKET_CREATED"),
        (2, "COMMENT_ADDED"),
    ]
    comment_delivery = Delivery.objects.get(ticket=ticket, event="COMMENT_ADDED")
    assert json.loads(comment_delivery.body)["data"]["comment"] == "We have found your card."
