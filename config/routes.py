"""The route of a request, for logs and metrics: the URL pattern that matched, written as
`/api/omnichannel/tickets/<ticket_number>`, never the path itself. Ticket numbers,
tracking tokens and whatever a client makes up must not become a metric label (each
value is a new time series) nor land in a log line."""

from functools import lru_cache

from django.http import HttpRequest

UNMATCHED = "unmatched"  # no URL pattern matched, or a middleware answered first


def route_of(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None or not match.route:
        return UNMATCHED
    return readable_route(match.route)


@lru_cache(maxsize=1024)  # one entry per URL pattern: the set is fixed by the URLconf
def readable_route(pattern: str) -> str:
    """`path()` routes as they are; `re_path()` regexes with their anchors and optional
    trailing slash dropped and each named group written as `<name>`."""
    parts = []
    index = 0
    while index < len(pattern):
        if pattern.startswith("(?P<", index):
            name_end = pattern.index(">", index)
            parts.append(f"<{pattern[index + 4 : name_end]}>")
            index = _group_end(pattern, index)
        elif pattern.startswith("/?", index):
            index += 2
        elif pattern[index] in "^$":
            index += 1
        elif pattern[index] == "\\" and index + 1 < len(pattern):
            parts.append(pattern[index + 1])
            index += 2
        else:
            parts.append(pattern[index])
            index += 1
    return "/" + "".join(parts).lstrip("/")


def _group_end(pattern: str, start: int) -> int:
    """The index just past the group that opens at `start` (nested groups, escapes and
    character classes taken into account)."""
    depth = 0
    index = start
    in_class = False
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            index += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return index + 1
        index += 1
    return len(pattern)
