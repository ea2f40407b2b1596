import json
from decimal import Decimal

from django.conf import settings
from rest_framework import exceptions, parsers, status


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Request body is too large."
    default_code = "request_too_large"


class BoundedJSONParser(parsers.JSONParser):
    """JSON with a size limit checked before the body is read whole, numbers with a
    fraction kept as Decimal (amounts are never floats), and every malformed input (bad
    UTF-8, NaN, nesting deep enough to exhaust the stack) answered as a parse error."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.OMNICHANNEL_MAX_BODY_BYTES
        request = (parser_context or {}).get("request")
        declared = request.META.get("CONTENT_LENGTH") if request is not None else None
        if declared and declared.isdigit() and int(declared) > limit:
            raise RequestTooLarge(f"Request body is larger than {limit} bytes.")
        if stream is None:
            return {}
        raw = stream.read(limit + 1)
        if len(raw) > limit:
            raise RequestTooLarge(f"Request body is larger than {limit} bytes.")
        try:
            text = raw.decode((parser_context or {}).get("encoding") or settings.DEFAULT_CHARSET)
            return json.loads(text, parse_float=Decimal, parse_int=_parse_int, parse_constant=_refuse_constant)
        except UnicodeDecodeError:
            raise exceptions.ParseError("Request body is not valid UTF-8.") from None
        except RecursionError:
            raise exceptions.ParseError("Request body is nested too deeply.") from None
        except ValueError as exc:
            raise exceptions.ParseError(f"Malformed JSON: {exc}") from None


def _parse_int(text: str) -> int | Decimal:
    # Python refuses to convert integers of thousands of digits; as a Decimal the value
    # reaches the field it was sent for, which names it in a clear error.
    return int(text) if len(text) <= 100 else Decimal(text)


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")
