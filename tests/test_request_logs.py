"""The JSON log lines: one per request and per Celery task, with the fields an operator
needs and none of the customer's data, whatever the request carried."""

import base64
import io
import json
import logging
import os
import re
import subprocess
import sys

import pytest
import structlog
from django.test import Client

from config.logs import json_formatter
from omnichannel.tasks import purge_idempotency_records
from tests.factories import TicketFactory
from tests.payloads import PDF_BYTES, attachment, create_body

URL = "/api/omnichannel/tickets"
GENERATED_ID = re.compile(r"[0-9a-f]{32}")
# Inside the attachment's bytes: must never be logged, neither decoded nor in base64.
ATTACHMENT_SECRET = b"ACCOUNT-STATEMENT-CONTENT-4471"
STATEMENT_PDF = PDF_BYTES.replace(b"%%EOF", b"% " + ATTACHMENT_SECRET + b"\n%%EOF")


class CapturedLogs:
    """Every record that reaches the root logger's handlers, rendered by the project's
    JSON formatter, as production writes it."""

    def __init__(self) -> None:
        self.stream = io.StringIO()

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    @property
    def lines(self) -> list[dict]:
        return [json.loads(line) for line in self.text.splitlines()]

    def requests(self, request_id: str | None = None) -> list[dict]:
        return [
            line
            for line in self.lines
            if line["logger"] == "servicedesk.requests" and request_id in (None, line["request_id"])
        ]


@pytest.fixture
def logs():
    captured = CapturedLogs()
    handler = logging.StreamHandler(captured.stream)
    handler.setFormatter(json_formatter())
    root = logging.getLogger()
    root.addHandler(handler)
    # The test settings lower the root to WARNING; the request and task lines are INFO.
    loggers = [logging.getLogger(name) for name in ("servicedesk.requests", "servicedesk.tasks")]
    for logger in loggers:
        logger.setLevel(logging.INFO)
    structlog.contextvars.clear_contextvars()
    try:
        yield captured
    finally:
        root.removeHandler(handler)
        for logger in loggers:
            logger.setLevel(logging.NOTSET)


def test_a_create_with_attachments_logs_one_request_line_and_no_personal_data(
    api_client, api_key, reference_data, logs
):
    body = create_body(attachments=[attachment(STATEMENT_PDF, filename="statement.pdf", mime_type="application/pdf")])
    content = body["attachments"][0]["content"]

    response = api_client.post(URL, body, format="json", HTTP_USER_AGENT="wa-gateway/2.3")

    assert response.status_code == 201
    (line,) = logs.requests(response["X-Request-ID"])
    assert GENERATED_ID.fullmatch(line["request_id"])
    assert {key: line[key] for key in ("event", "level", "method", "route", "status")} == {
        "event": "request",
        "level": "info",
        "method": "POST",
        "route": "/api/omnichannel/tickets",
        "status": 201,
    }
    assert (line["partner"], line["api_key_id"]) == ("PARTNER001", api_key.pk)
    assert (line["client_address"], line["user_agent"]) == ("127.0.0.1", "wa-gateway/2.3")
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert "query_params" not in line
    assert len(logs.requests()) == 1
    for secret in (
        api_key.raw_key,
        "john.doe@email.com",
        "+6281234567890",
        "6281234567890",
        "CIF123456",
        "John Doe",
        content,
        content[:40],
        ATTACHMENT_SECRET.decode(),
        base64.b64encode(ATTACHMENT_SECRET).decode()[:20],
    ):
        assert secret not in logs.text


def test_a_batch_read_logs_the_parameter_names_never_their_values(api_client, partner, reference_data, logs):
    TicketFactory(partner=partner, channel_reference_id="WA-CUSTOMER-REF-001")

    response = api_client.get(
        URL, {"channelReferenceId": ["WA-CUSTOMER-REF-001", "WA-CUSTOMER-REF-002"], "pageSize": "10"}
    )

    assert response.status_code == 200
    (line,) = logs.requests(response["X-Request-ID"])
    assert (line["route"], line["status"]) == ("/api/omnichannel/tickets", 200)
    assert line["query_params"] == ["channelReferenceId", "pageSize"]
    assert "WA-CUSTOMER-REF" not in logs.text
    assert "pageSize=10" not in logs.text


def test_djangos_warning_for_a_400_holds_neither_the_query_string_nor_the_path(api_client, logs):
    response = api_client.get(URL, {"customerEmail": "john.doe@email.com", "updatedSince": "not-a-date"})

    assert response.status_code == 400
    request_id = response["X-Request-ID"]
    (warning,) = [line for line in logs.lines if line["logger"] == "django.request"]
    assert warning == {
        "event": "Bad Request: /api/omnichannel/tickets",
        "logger": "django.request",
        "level": "warning",
        "request_id": request_id,
        "status": 400,
        "timestamp": warning["timestamp"],
    }
    assert logs.requests(request_id)[0]["query_params"] == ["customerEmail", "updatedSince"]
    assert "john.doe" not in logs.text and "not-a-date" not in logs.text


def test_a_tracking_links_token_is_not_logged_when_the_link_is_refused(db, logs):
    response = Client().get("/track/INC-2026-0001/not-the-right-token-7c1e/")

    assert response.status_code == 404
    assert "not-the-right-token-7c1e" not in logs.text
    (line,) = logs.requests(response["X-Request-ID"])
    assert line["route"] == "/track/<str:number>/<str:token>/"


def test_a_sane_request_id_is_kept_and_sent_back(api_client, logs):
    response = api_client.get(f"{URL}/INC-2026-0001", HTTP_X_REQUEST_ID="abc-123")

    assert response["X-Request-ID"] == "abc-123"
    (line,) = logs.requests("abc-123")
    assert (line["route"], line["status"]) == ("/api/omnichannel/tickets/<ticket_number>", 404)
    assert "INC-2026-0001" not in json.dumps(line)


@pytest.mark.parametrize("given", ["x" * 200, "abc 123", "abc\u00e9", "<script>", ""])
def test_an_unsafe_request_id_is_replaced_by_a_generated_one(api_client, logs, given):
    response = api_client.get(f"{URL}/INC-2026-0001", HTTP_X_REQUEST_ID=given)

    generated = response["X-Request-ID"]
    assert GENERATED_ID.fullmatch(generated)
    assert len(logs.requests(generated)) == 1
    if given:
        assert given not in logs.text


def test_unauthenticated_requests_are_logged_without_partner_or_key(anonymous_client, logs):
    response = anonymous_client.get(URL, HTTP_X_API_KEY="sd_live_not-a-real-key")

    assert response.status_code == 401
    (line,) = logs.requests(response["X-Request-ID"])
    assert "partner" not in line and "api_key_id" not in line
    assert "not-a-real-key" not in logs.text


def test_a_celery_task_logs_one_line_with_its_name_id_state_and_duration(db, logs):
    result = purge_idempotency_records.apply()

    assert result.state == "SUCCESS"
    (line,) = [line for line in logs.lines if line["logger"] == "servicedesk.tasks"]
    assert {key: line[key] for key in ("event", "task", "task_id", "state", "retries")} == {
        "event": "task",
        "task": "omnichannel.tasks.purge_idempotency_records",
        "task_id": result.id,
        "state": "SUCCESS",
        "retries": 0,
    }
    assert line["duration_ms"] >= 0
    assert "request_id" not in line


@pytest.mark.parametrize(("level", "warnings_shown"), [("ERROR", False), ("WARNING", True)])
def test_log_level_governs_djangos_loggers_too(level, warnings_shown):
    # Django's own default config sets its logger to INFO; LOG_LEVEL must win over it, or
    # LOG_LEVEL=ERROR still prints a warning line for every 4xx.
    script = (
        "import django, logging; django.setup(); "
        "print(logging.getLogger('django.request').isEnabledFor(logging.WARNING))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.local", "LOG_LEVEL": level}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)

    assert done.stdout.strip() == str(warnings_shown)
