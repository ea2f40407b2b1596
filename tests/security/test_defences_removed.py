"""Defences that no other test failed without (found by `make mutants`, bench/mutants.py):
each test here pins one, and fails when that defence is removed."""

import socket
from urllib.parse import urlsplit

from tests.webhooks.receiver import Receiver
from webhooks import transport
from webhooks.targets import Target

PARTNER_HOST = "hooks.partner.example"


def test_a_webhook_goes_to_the_checked_address_and_its_host_is_not_resolved_again(monkeypatch):
    # given a target whose name was checked when it resolved to the receiver's address, and a
    # DNS that would now answer something else for that name (re-binding)
    looked_up = []
    real_getaddrinfo = socket.getaddrinfo

    def rebound_dns(host, *args, **kwargs):
        looked_up.append(host)
        if host == PARTNER_HOST:
            raise socket.gaierror(socket.EAI_NONAME, "re-bound: the name now points elsewhere")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebound_dns)
    with Receiver() as receiver:
        port = urlsplit(receiver.url).port
        target = Target(scheme="http", host=PARTNER_HOST, port=port, path_and_query="/hooks", addresses=("127.0.0.1",))

        # when
        answer = transport.post(
            target, body=b"{}", headers={}, connect_timeout=3, read_timeout=5, max_response_bytes=1024
        )

    # then the checked address got it, under the partner's host name, with no second lookup
    assert (answer.status_code, answer.error) == (200, "")
    assert PARTNER_HOST not in looked_up
    assert [(request.path, request.headers["host"]) for request in receiver.received] == [
        ("/hooks", f"{PARTNER_HOST}:{port}")
    ]
