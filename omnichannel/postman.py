"""Our OpenAPI 3 document as a Postman Collection v2.1, so a partner can import the API
into Postman and call it with their key.

Pure: a JSON-shaped dict in, a JSON-shaped dict out; no Django, no I/O. No converter
library is available offline, and we need only the part of OpenAPI our schema uses, so
this is a small one of our own: paths and operations, parameters, local `$ref`s, JSON
request bodies and an apiKey security scheme."""

import json
import re
from typing import Any

POSTMAN_SCHEMA_URL = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
HTTP_METHODS = frozenset({"get", "put", "post", "patch", "delete", "head", "options", "trace"})
# The writes a client retries safely by sending an Idempotency-Key (see omnichannel/idempotency.py).
RETRYABLE_WRITE_METHODS = frozenset({"post", "patch"})
IDEMPOTENCY_KEY_DESCRIPTION = "Makes the write safe to retry: Postman sends a fresh UUID on every send."
# Plausible values for string formats, so a generated body reads like a real one.
STRING_FORMAT_EXAMPLES = {
    "date-time": "2024-01-31T09:30:00+08:00",
    "date": "2024-01-31",
    "time": "09:30:00",
    "email": "customer@example.com",
    "uri": "https://partner.example.com/webhooks/servicedesk",
    "url": "https://partner.example.com/webhooks/servicedesk",
    "uuid": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "hostname": "partner.example.com",
    "ipv4": "192.0.2.10",
    "ipv6": "2001:db8::10",
    "byte": "U2VydmljZURlc2s=",  # base64 of "ServiceDesk"
    "decimal": "150000.00",
}
# Marks a `$ref` met again inside its own expansion: the property or array item that
# holds it is left out, so a recursive schema gives a finite example.
_REPEATED_REF = object()


def collection_from_openapi(schema: dict, *, base_url: str, path_prefix: str = "") -> dict:
    """The Postman Collection v2.1 holding one request per operation of `schema` (an
    OpenAPI 3 document of plain dicts and lists), in one folder per operation's first
    tag. Requests are addressed as `{{baseUrl}}/<path>`, where <path> is the schema's
    path without `path_prefix`: pass the prefix `base_url` already ends with.

    Only local `$ref`s ("#/components/...") are followed; any other raises ValueError."""
    api_key_scheme = _api_key_scheme(schema)
    headers_set_elsewhere = {"content-type", "authorization"}
    if api_key_scheme is not None and api_key_scheme["in"] == "header":
        headers_set_elsewhere.add(api_key_scheme["name"].lower())

    folders: dict[str, list[dict]] = {}
    untagged: list[dict] = []
    for path, path_item in schema.get("paths", {}).items():
        for method, operation in path_item.items():
            if method not in HTTP_METHODS:
                continue  # "parameters", "summary", "servers" and extensions sit beside the operations
            item = _request_item(
                schema,
                path=_relative_path(path, path_prefix),
                method=method,
                operation=operation,
                shared_parameters=path_item.get("parameters", []),
                headers_set_elsewhere=headers_set_elsewhere,
            )
            tags = operation.get("tags")
            if tags:
                folders.setdefault(tags[0], []).append(item)
            else:
                untagged.append(item)

    tag_descriptions = {tag["name"]: tag.get("description") for tag in schema.get("tags", [])}
    items = []
    for tag, tagged_items in folders.items():
        folder: dict[str, Any] = {"name": tag, "item": tagged_items}
        if tag_descriptions.get(tag):
            folder["description"] = tag_descriptions[tag]
        items.append(folder)
    items.extend(untagged)

    openapi_info = schema.get("info", {})
    info: dict[str, Any] = {"name": openapi_info.get("title") or "API"}
    if openapi_info.get("description"):
        info["description"] = openapi_info["description"]
    if openapi_info.get("version"):
        info["version"] = str(openapi_info["version"])
    info["schema"] = POSTMAN_SCHEMA_URL

    collection: dict[str, Any] = {"info": info, "item": items}
    if api_key_scheme is not None:
        collection["auth"] = {
            "type": "apikey",
            "apikey": [
                {"key": "key", "value": api_key_scheme["name"], "type": "string"},
                {"key": "value", "value": "{{apiKey}}", "type": "string"},
                {"key": "in", "value": api_key_scheme["in"], "type": "string"},
            ],
        }
    collection["variable"] = [
        {
            "key": "baseUrl",
            "value": base_url.rstrip("/"),
            "type": "string",
            "description": "Where the API answers; every request path is appended to it.",
        },
        {
            "key": "apiKey",
            "value": "",
            "type": "string",
            "description": _api_key_description(api_key_scheme),
        },
    ]
    return collection


def _api_key_description(scheme: dict | None) -> str:
    sent_as = f", sent as the {scheme['name']} {scheme['in']}" if scheme else ""
    return (
        f"Your partner API key{sent_as}. Set it in a Postman environment or vault rather than "
        "here, so sharing the collection does not share the key."
    )


def _api_key_scheme(schema: dict) -> dict | None:
    """The first apiKey security scheme Postman's apikey helper can send (in a header or
    the query string), or None."""
    for scheme in schema.get("components", {}).get("securitySchemes", {}).values():
        scheme = _resolve(schema, scheme)
        if scheme.get("type") == "apiKey" and scheme.get("in") in ("header", "query"):
            return scheme
    return None


def _relative_path(path: str, prefix: str) -> str:
    prefix = prefix.rstrip("/")
    if prefix and (path == prefix or path.startswith(prefix + "/")):
        return path[len(prefix) :]
    return path


def _request_item(
    document: dict,
    *,
    path: str,
    method: str,
    operation: dict,
    shared_parameters: list[dict],
    headers_set_elsewhere: set[str],
) -> dict:
    parameters = _parameters(document, shared_parameters, operation.get("parameters", []))
    body = _body(document, operation.get("requestBody"))

    headers = [
        _header(document, parameter)
        for parameter in parameters
        if parameter["in"] == "header" and parameter["name"].lower() not in headers_set_elsewhere
    ]
    if method in RETRYABLE_WRITE_METHODS and not any(header["key"].lower() == "idempotency-key" for header in headers):
        headers.append({"key": "Idempotency-Key", "value": "{{$guid}}", "description": IDEMPOTENCY_KEY_DESCRIPTION})
    if body is not None:
        headers.append({"key": "Content-Type", "value": "application/json"})

    request: dict[str, Any] = {"method": method.upper(), "header": headers, "url": _url(document, path, parameters)}
    if body is not None:
        request["body"] = body
    if operation.get("description"):
        request["description"] = operation["description"]
    if operation.get("security") == []:  # explicitly public: do not send the collection's key
        request["auth"] = {"type": "noauth"}
    name = operation.get("summary") or operation.get("operationId") or f"{method.upper()} {path}"
    return {"name": name, "request": request, "response": []}


def _parameters(document: dict, shared: list[dict], own: list[dict]) -> list[dict]:
    """The operation's parameters, with those declared on the path item; an operation's
    own declaration of a (name, location) replaces the path item's."""
    merged: dict[tuple[str, str], dict] = {}
    for parameter in [*shared, *own]:
        parameter = _resolve(document, parameter)
        merged[(parameter["name"], parameter["in"])] = parameter
    return list(merged.values())


def _url(document: dict, path: str, parameters: list[dict]) -> dict:
    # Postman writes a path parameter as a `:name` segment and keeps its value in `variable`.
    segments = [re.sub(r"\{([^}/]+)\}", r":\1", segment) for segment in path.lstrip("/").split("/")] if path else []
    query = [_key_value(document, parameter) for parameter in parameters if parameter["in"] == "query"]
    variables = [_key_value(document, parameter) for parameter in parameters if parameter["in"] == "path"]
    for variable in variables:
        variable.pop("disabled", None)  # a path variable is always sent

    raw = "/".join(["{{baseUrl}}", *segments])
    sent = [f"{parameter['key']}={parameter['value']}" for parameter in query if not parameter.get("disabled")]
    if sent:
        raw += "?" + "&".join(sent)
    url: dict[str, Any] = {"raw": raw, "host": ["{{baseUrl}}"], "path": segments}
    if query:
        url["query"] = query
    if variables:
        url["variable"] = variables
    return url


def _key_value(document: dict, parameter: dict) -> dict:
    """A parameter as Postman's key/value pair; an optional one is listed but not sent."""
    pair: dict[str, Any] = {"key": parameter["name"], "value": _parameter_example(document, parameter)}
    if parameter.get("description"):
        pair["description"] = parameter["description"]
    if not parameter.get("required", False):
        pair["disabled"] = True
    return pair


def _header(document: dict, parameter: dict) -> dict:
    header = _key_value(document, parameter)
    if parameter["name"].lower() == "idempotency-key":
        header["value"] = "{{$guid}}"
        header.pop("disabled", None)  # sent by default: a fresh key per send is what a retry-safe client does
    return header


def _parameter_example(document: dict, parameter: dict) -> str:
    if "example" in parameter:
        value = parameter["example"]
    elif parameter.get("examples"):
        value = _resolve(document, next(iter(parameter["examples"].values()))).get("value")
    else:
        value = _example_value(document, parameter.get("schema", {}))
    if isinstance(value, list):  # a repeatable parameter: one value shown; the key can be repeated
        value = value[0] if value else ""
    return _as_text(value)


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _body(document: dict, request_body: dict | None) -> dict | None:
    """A raw JSON body: the media type's example if the schema gives one, else one made
    from its JSON schema. None when the operation takes no JSON body."""
    if request_body is None:
        return None
    content = _resolve(document, request_body).get("content", {})
    media_type = next((name for name in content if name == "application/json" or name.endswith("+json")), None)
    if media_type is None:
        return None
    media = content[media_type]
    if "example" in media:
        value = media["example"]
    elif media.get("examples"):
        value = _resolve(document, next(iter(media["examples"].values()))).get("value")
    else:
        value = _example_value(document, media.get("schema", {}))
    return {
        "mode": "raw",
        "raw": json.dumps(value, indent=2, ensure_ascii=False),
        "options": {"raw": {"language": "json"}},
    }


def _example_value(document: dict, schema: dict) -> Any:
    value = _example(document, schema, frozenset())
    return None if value is _REPEATED_REF else value


def _example(document: dict, schema: dict, expanding: frozenset[str]) -> Any:
    """An example value for the JSON schema `schema`. `expanding` holds the `$ref`s being
    expanded above this one, so a recursive schema stops at its first repeat."""
    ref = schema.get("$ref")
    if ref is not None:
        if ref in expanding:
            return _REPEATED_REF
        return _example(document, _lookup(document, ref), expanding | {ref})
    if "example" in schema:
        return schema["example"]
    if isinstance(schema.get("examples"), list) and schema["examples"]:  # JSON Schema's spelling (OpenAPI 3.1)
        return schema["examples"][0]
    if "default" in schema:
        return schema["default"]
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for keyword in ("oneOf", "anyOf"):
        if schema.get(keyword):
            return _example(document, schema[keyword][0], expanding)
    if schema.get("allOf"):
        parts = [_example(document, part, expanding) for part in schema["allOf"]]
        if not all(isinstance(part, dict) for part in parts):
            return parts[0]  # not a composition of objects: the first part stands for the whole
        merged = {key: value for part in parts for key, value in part.items()}
        return merged | _object_example(document, schema, expanding)

    kind = schema.get("type")
    if isinstance(kind, list):  # OpenAPI 3.1 writes a nullable type as ["string", "null"]
        kind = next((name for name in kind if name != "null"), None)
    if kind == "object" or "properties" in schema:
        return _object_example(document, schema, expanding)
    if kind == "array":
        item = _example(document, schema.get("items", {}), expanding)
        return [] if item is _REPEATED_REF else [item]
    if kind == "string":
        text = STRING_FORMAT_EXAMPLES.get(schema.get("format"), "string")
        return text[: schema["maxLength"]] if "maxLength" in schema else text
    if kind in ("integer", "number"):
        return schema.get("minimum", 0)
    if kind == "boolean":
        return True
    return None


def _object_example(document: dict, schema: dict, expanding: frozenset[str]) -> dict:
    example = {}
    for name, property_schema in schema.get("properties", {}).items():
        if property_schema.get("readOnly"):
            continue  # the server writes it; a request does not send it
        value = _example(document, property_schema, expanding)
        if value is not _REPEATED_REF:
            example[name] = value
    return example


def _resolve(document: dict, node: dict) -> dict:
    """`node`, or what its `$ref` points to (following chains of `$ref`s)."""
    seen = set()
    while "$ref" in node:
        if node["$ref"] in seen:
            raise ValueError(f"$ref cycle at {node['$ref']}")
        seen.add(node["$ref"])
        node = _lookup(document, node["$ref"])
    return node


def _lookup(document: dict, ref: str) -> dict:
    if not ref.startswith("#/"):
        raise ValueError(f"Only local $refs are supported, not {ref!r}")
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node
