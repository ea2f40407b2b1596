"""Logging: every line, ours and Django's and Celery's, goes through structlog's
ProcessorFormatter, as one JSON object a line (LOG_FORMAT=json, the default) or as
readable text for people (LOG_FORMAT=console, the default when DEBUG is on).

What goes into a line is chosen, never dumped: no request or response bodies, no query
strings, no headers but the request id and the user agent (config/request_logging.py),
no task arguments (below), and tracebacks without local variables.

Imported by the LOGGING setting (the formatter factories), so it must not import models."""

import logging
import sys
import time

import structlog
from django.http import HttpRequest

from config.routes import route_of

TASK_LOGGER = "servicedesk.tasks"

_TIMESTAMPER = structlog.processors.TimeStamper(fmt="iso", utc=True)


def _from_django_request(logger, method_name: str, event_dict: dict) -> dict:
    """django.request and django.security log 4xx and 5xx answers as "Bad Request: <path>",
    with the request in the record. The path can hold a tracking link's token, so it is
    replaced by the route; the request id and status are added."""
    record = event_dict.get("_record")
    request = getattr(record, "request", None)
    if not isinstance(request, HttpRequest):
        return event_dict
    message = event_dict.get("event")
    if isinstance(message, str):
        route = route_of(request)
        # Django escapes the path (unicode_escape) before formatting it into the message.
        for path in {request.path, request.path.encode("unicode_escape").decode("ascii")}:
            if path and message.endswith(path):
                event_dict["event"] = message[: -len(path)] + route
                break
    request_id = getattr(request, "request_id", None)
    if request_id is not None:
        event_dict.setdefault("request_id", request_id)
    status = getattr(record, "status_code", None)
    if status is not None:
        event_dict.setdefault("status", status)
    return event_dict


# Records from the standard library's loggers (Django, Celery, our modules) pass these;
# structlog's own loggers pass the equivalent in configure_structlog().
_FOREIGN_PRE_CHAIN = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.add_log_level,
    _TIMESTAMPER,
    _from_django_request,
]


def json_formatter() -> structlog.stdlib.ProcessorFormatter:
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_FOREIGN_PRE_CHAIN,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            # A plain traceback string: structlog's dict tracebacks would show locals,
            # and a local can be a request body.
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
    )


def console_formatter() -> structlog.stdlib.ProcessorFormatter:
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_FOREIGN_PRE_CHAIN,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.dev.ConsoleRenderer(
                colors=sys.stderr.isatty(), exception_formatter=structlog.dev.plain_traceback
            ),
        ],
    )


def configure_structlog() -> None:
    """structlog's loggers hand their event to the standard library's handlers, so that
    LOGGING's formatter renders them like every other record."""
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.stdlib.filter_by_level,
            structlog.stdlib.add_logger_name,
            structlog.stdlib.add_log_level,
            _TIMESTAMPER,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


# One line per Celery task, from Celery's signals: they are how a worker tells what it
# runs, and they fire for every task, ours or not, without a base class in each app.
_task_started: dict[str, float] = {}
_task_logger = structlog.get_logger(TASK_LOGGER)


def _task_prerun(task_id: str, task, **kwargs) -> None:
    _task_started[task_id] = time.perf_counter()
    structlog.contextvars.bind_contextvars(task_id=task_id, task=task.name)


def _task_postrun(task_id: str, task, state: str | None = None, **kwargs) -> None:
    started = _task_started.pop(task_id, None)
    structlog.contextvars.unbind_contextvars("task_id", "task")
    duration_ms = round((time.perf_counter() - started) * 1000, 1) if started is not None else None
    # The arguments and the result are left out: they may be a customer's data.
    _task_logger.info(
        "task",
        task=task.name,
        task_id=task_id,
        state=state,
        duration_ms=duration_ms,
        retries=task.request.retries,
    )


def _keep_django_logging(loglevel=None, **kwargs) -> None:
    """A receiver of setup_logging stops Celery from replacing the root logger's
    handlers with its own plain-text ones: Django's LOGGING stays in force. The worker's
    --loglevel still sets the root level, as it does without this."""
    if loglevel:
        logging.getLogger().setLevel(loglevel)


def connect_celery_signals() -> None:
    from celery import signals

    signals.setup_logging.connect(_keep_django_logging, weak=False, dispatch_uid="servicedesk.logging")
    signals.task_prerun.connect(_task_prerun, weak=False, dispatch_uid="servicedesk.task_prerun")
    signals.task_postrun.connect(_task_postrun, weak=False, dispatch_uid="servicedesk.task_postrun")
