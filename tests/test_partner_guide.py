"""docs/partners.md, run: every example of the partner guide, taken from the markdown
itself, against the product served by gunicorn with a Celery worker, as a partner would
run them in a terminal after `make run`.

The guide's fenced blocks are read in order. A ``sh`` block runs in one bash session kept
for the whole guide (a variable one example sets is there for the next); a ``python``
block runs with ``python3``. What a command prints is compared with the ``http``, ``json``
or plain block right after its block, or with the ``# `` lines that follow it inside the
block; a command shown with neither must print nothing. An HTML comment right before a
block changes that (the guide's head lists them): ``not run: <why>``, ``run in the
background``, ``output of the background command``, ``saved as <file>``. Any other block
fails the test, so that a new example cannot go unchecked.

What the guide says will differ is not compared literally, but must stay consistent: the
first time a ticket number, id, key or time appears in an answer, the guide's value is
bound to the real one, and from then on stands for it, in later commands (``export
NUMBER=INC-2026-0002``) and answers alike (the replayed create must give the same
``ticketId``). A value the guide cuts short, ``sdk_75fb144a_...``, stands for the whole one.
The local addresses `make run` and the receiver use are replaced with the test's.

The guide was run on `make run`'s database after README's example, whose ticket is the
first of the year: the test opens the same one first, so that the counts agree.
"""

import contextlib
import io
import json
import os
import queue
import re
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from django_ratelimit.core import _get_window

from apikeys.models import Permission
from apikeys.services import api_key_create
from tests.celery_worker import purge_queue, running_worker
from tests.live_server import ROOT, _database_url, needs_real_services
from tests.payloads import create_body

GUIDE = ROOT / "docs" / "partners.md"
MAKE_RUN_ADDRESS = "http://127.0.0.1:8000"
RECEIVER_ADDRESS = "127.0.0.1:9000"

ELLIPSIS = "…"
# Answer fields whose values the guide says will differ: numbers, ids, keys and times.
VARYING_FIELDS = frozenset(
    {
        "ticketNumber", "ticketId", "id", "key", "trackingUrl", "timestamp", "createdAt", "uploadedAt",
        "updatedAt", "estimatedResolution", "responseDeadline", "resolutionDeadline",
        "responseTimeLeftSeconds", "resolutionTimeLeftSeconds",
    }
)  # fmt: skip
VARYING_HEADERS = frozenset({"x-request-id", "x-ratelimit-reset", "retry-after"})
# The same, in plain lines (what the webhook receiver prints, `echo $WATCHED`).
VARYING_WORDS = (re.compile(r"INC-[0-9]{4}-[0-9]{4,}"), re.compile(r"evt_[A-Za-z0-9_-]{10,}"))
# A value shorter than this (a count of seconds, a row id) is bound for the rest of its own
# command's answer only, so that "44" seconds cannot stand for anything in a later answer.
GLOBAL_BINDING_LENGTH = 6

MARKER = re.compile(r"<!--\s*((?:(?!<!--).)*?)\s*-->$", re.DOTALL)  # the last comment, closing the text
FENCE = re.compile(r"^(`{3,}|~{3,})\s*([\w-]*)\s*$")
HEADER_LINE = re.compile(r"^([A-Za-z][A-Za-z0-9-]*): (.*)$")
ABBREVIATED = re.compile(r"\b([A-Za-z0-9]+_[A-Za-z0-9_]*)\.\.\.")


# The guide, as blocks and steps.


@dataclass(frozen=True)
class Block:
    line: int  # of the opening fence, 1-based
    info: str  # sh, python, http, json, or "" for a plain block
    text: str
    marker: str  # the HTML comment right before the fence, "" when there is none
    follows_block: bool  # nothing but blank lines since the previous block


def fenced_blocks(markdown: str) -> list[Block]:
    lines = markdown.splitlines()
    blocks: list[Block] = []
    index, last_close, since_last = 0, -2, ""
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if not opening:
            since_last += lines[index] + "\n"
            index += 1
            continue
        fence, info = opening.groups()
        end = index + 1
        while end < len(lines) and not (
            lines[end].startswith(fence[0] * len(fence)) and not lines[end].strip(fence[0]).strip()
        ):
            end += 1
        if end == len(lines):
            raise ValueError(f"line {index + 1}: the block is never closed")
        before = since_last.rstrip()
        comment = MARKER.search(before)
        marker = comment.group(1) if comment else ""
        blocks.append(Block(index + 1, info, "\n".join(lines[index + 1 : end]), marker, not before and last_close >= 0))
        last_close, since_last, index = end, "", end + 1
    return blocks


@dataclass
class Expected:
    kind: str  # "http", "json" or "lines"
    text: str
    line: int


@dataclass
class Step:
    action: str  # "run", "save", "background", "background output", "skip"
    block: Block
    commands: list[tuple[str, Expected | None]] = field(default_factory=list)  # for "run"
    detail: str = ""  # the file for "save", the reason for "skip"


def commands_of(block: Block) -> list[tuple[str, Expected | None]]:
    """The block cut after each group of "# " lines, which show what the command before printed."""
    commands: list[tuple[str, Expected | None]] = []
    command: list[str] = []
    shown: list[str] = []
    for offset, line in enumerate([*block.text.splitlines(), ""]):
        if command and (line.startswith("# ") or line == "#"):
            shown.append(line[2:])
            continue
        if shown:
            commands.append(
                ("\n".join(command), Expected("lines", "\n".join(shown), block.line + 1 + offset - len(shown)))
            )
            command, shown = [], []
        command.append(line)
    if "\n".join(command).strip():
        commands.append(("\n".join(command).rstrip(), None))
    return commands


def plan(blocks: list[Block]) -> list[Step]:
    steps: list[Step] = []
    for block in blocks:
        marker = block.marker
        if marker.startswith("not run:"):
            reason = marker.removeprefix("not run:").strip()
            if not reason:
                raise ValueError(f"line {block.line}: say why the block is not run")
            steps.append(Step("skip", block, detail=reason))
        elif marker.startswith("saved as "):
            steps.append(Step("save", block, detail=marker.removeprefix("saved as ").strip()))
        elif marker == "run in the background" and block.info == "sh":
            steps.append(Step("background", block))
        elif marker == "output of the background command":
            steps.append(Step("background output", block))
        elif marker:
            raise ValueError(f"line {block.line}: unknown marker <!-- {marker} -->")
        elif block.info in ("sh", "python"):
            commands = commands_of(block) if block.info == "sh" else [(block.text, None)]
            steps.append(Step("run", block, commands))
        elif block.info in ("http", "json", "") and block.follows_block and steps and steps[-1].action == "run":
            command, shown = steps[-1].commands[-1]
            if shown is not None:
                raise ValueError(f"line {block.line}: the command before already shows its output")
            steps[-1].commands[-1] = (command, Expected(block.info or "lines", block.text, block.line))
        else:
            raise ValueError(f"line {block.line}: a {block.info or 'plain'} block that is neither run nor marked")
    return steps


# Comparing what was printed with what the guide shows.


def parse_shortened_json(text: str):
    """JSON as the guide shows it: a `…` in an object or a list stands for what was left out,
    and becomes a member "…" (an object) or an element "…" (a list) that the comparison reads."""
    out, stack, in_string, escaped = [], [], False, False
    for char in text:
        if in_string:
            escaped = not escaped and char == "\\"
            in_string = escaped or char != '"'
        elif char == '"':
            in_string = True
        elif char in "{[":
            stack.append(char)
        elif char in "}]":
            stack.pop()
        elif char == ELLIPSIS:
            out.append(f'"{ELLIPSIS}": "{ELLIPSIS}"' if stack and stack[-1] == "{" else f'"{ELLIPSIS}"')
            continue
        out.append(char)
    return json.loads("".join(out))


class Comparison:
    """Compares answers with the guide's, and keeps the values bound so far (guide → real)."""

    def __init__(self, substitutions: dict[str, str]) -> None:
        self.substitutions = substitutions
        self.bindings: dict[str, str] = {}
        self.local_bindings: dict[str, str] = {}

    def bind(self, shown, actual) -> None:
        shown, actual = str(shown), str(actual)
        if shown != actual:
            (self.bindings if len(shown) >= GLOBAL_BINDING_LENGTH else self.local_bindings)[shown] = actual

    def substitute(self, text: str) -> str:
        for shown, actual in self.substitutions.items():
            text = text.replace(shown, actual)
        bindings = {**self.bindings, **self.local_bindings}
        for shown in sorted(bindings, key=len, reverse=True):
            text = re.sub(rf"(?<![\w-]){re.escape(shown)}(?![\w-])", lambda _, shown=shown: bindings[shown], text)

        def whole(match: re.Match) -> str:
            found = [actual for shown, actual in self.bindings.items() if shown.startswith(match[1])]
            return found[0] if len(found) == 1 else match[0]

        return ABBREVIATED.sub(whole, text)

    def is_bound(self, value) -> bool:
        return str(value) in {*self.bindings.values(), *self.local_bindings.values()}

    # Each compare_* returns what differs, as sentences; an empty list when nothing does.

    def compare(self, expected: Expected, printed: str) -> list[str]:
        self.local_bindings = {}
        text = self.substitute(expected.text) if expected.kind != "lines" else expected.text
        if expected.kind == "json":
            return self.compare_json_text(text, printed)
        if expected.kind == "http":
            return self.compare_http(text, printed)
        return self.compare_lines(text, printed)

    def compare_json_text(self, shown_text: str, printed: str) -> list[str]:
        try:
            actual = json.loads(printed)
        except ValueError:
            return [f"expected JSON, got {printed!r}"]
        return self.compare_json(parse_shortened_json(shown_text), actual, "$")

    def compare_json(self, shown, actual, path: str, key: str = "") -> list[str]:
        if isinstance(shown, dict):
            if not isinstance(actual, dict):
                return [f"{path}: expected an object, got {actual!r}"]
            keys = [name for name in shown if name != ELLIPSIS]
            problems = [f"{path}.{name}: missing" for name in keys if name not in actual]
            if ELLIPSIS not in shown:
                problems += [f"{path}.{name}: not shown in the guide" for name in actual if name not in shown]
            for name in keys:
                if name in actual:
                    problems += self.compare_json(shown[name], actual[name], f"{path}.{name}", name)
            return problems
        if isinstance(shown, list):
            if not isinstance(actual, list):
                return [f"{path}: expected a list, got {actual!r}"]
            shortened = bool(shown) and shown[-1] == ELLIPSIS
            items = shown[:-1] if shortened else shown
            if len(actual) < len(items) or (not shortened and len(actual) != len(items)):
                return [f"{path}: {len(actual)} items, the guide shows {len(items)}{' or more' if shortened else ''}"]
            return [
                problem
                for i, item in enumerate(items)
                for problem in self.compare_json(item, actual[i], f"{path}[{i}]", key)
            ]
        if key in VARYING_FIELDS and not self.is_bound(shown):
            if type(shown) is not type(actual) and not {type(shown), type(actual)} <= {int, float}:
                return [f"{path}: {actual!r} is not like the guide's {shown!r}"]
            self.bind(shown, actual)
            return []
        return [] if shown == actual else [f"{path}: {actual!r}, the guide shows {shown!r}"]

    def compare_header(self, name: str, shown: str, actual: str | None) -> list[str]:
        if actual is None:
            return [f"no {name} header"]
        if name.lower() in VARYING_HEADERS and not self.is_bound(shown):
            self.bind(shown, actual)
            return []
        return [] if shown == actual else [f"{name}: {actual!r}, the guide shows {shown!r}"]

    def compare_http(self, shown_text: str, printed: str) -> list[str]:
        shown_head, _, shown_body = shown_text.partition("\n\n")
        head, _, body = printed.partition("\n\n")
        status, *shown_headers = shown_head.splitlines()
        actual_status, *actual_headers = head.splitlines() or [""]
        if actual_status != status:
            return [f"{actual_status!r}, the guide shows {status!r}"]
        headers = {}
        for line in actual_headers:
            name, _, value = line.partition(": ")
            headers[name.lower()] = value
        problems = []
        for line in shown_headers:
            name, _, value = line.partition(": ")
            problems += self.compare_header(name, value, headers.get(name.lower()))
        return problems + (self.compare_json_text(shown_body, body) if shown_body.strip() else [])

    def compare_lines(self, shown_text: str, printed: str) -> list[str]:
        shown_lines = shown_text.splitlines()
        actual_lines = [part for line in printed.splitlines() for part in split_json_documents(line)]
        if len(actual_lines) != len(shown_lines):
            return [f"{len(actual_lines)} lines, the guide shows {len(shown_lines)}:\n{printed}"]
        problems = []
        for shown, actual in zip(shown_lines, actual_lines, strict=True):
            shown = self.substitute(shown)  # with what the lines before bound
            header, actual_header = HEADER_LINE.match(shown), HEADER_LINE.match(actual)
            if shown.lstrip().startswith(("{", "[")):
                problems += self.compare_json_text(shown, actual)
            elif header and actual_header and header[1] == actual_header[1]:
                problems += self.compare_header(header[1], header[2], actual_header[2])
            else:
                problems += self.compare_words(shown, actual)
        return problems

    def compare_words(self, shown: str, actual: str) -> list[str]:
        shown_words, actual_words = shown.split(), actual.split()
        if len(shown_words) == len(actual_words):
            for shown_word, actual_word in zip(shown_words, actual_words, strict=True):
                varies = any(
                    pattern.fullmatch(shown_word) and pattern.fullmatch(actual_word) for pattern in VARYING_WORDS
                )
                if shown_word != actual_word and not (varies and not self.is_bound(shown_word)):
                    break
            else:
                for shown_word, actual_word in zip(shown_words, actual_words, strict=True):
                    self.bind(shown_word, actual_word)
                return []
        return [f"{actual!r}, the guide shows {shown!r}"]


def split_json_documents(line: str) -> list[str]:
    """`curl -s` prints a JSON answer without a newline, so two in a row share a line; the
    guide shows each on its own."""
    if not line.startswith("{"):
        return [line]
    decoder, parts, position = json.JSONDecoder(), [], 0
    while position < len(line):
        try:
            _, end = decoder.raw_decode(line, position)
        except ValueError:
            return [line]
        parts.append(line[position:end])
        position = end
    return parts


# A partner's terminal.


class Shell:
    """One bash session for the whole guide, as in a reader's terminal."""

    DONE = "__partner_guide_command_done__"

    def __init__(self, cwd: Path, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            ["bash", "--noprofile", "--norc"], cwd=cwd, env=env, text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )  # fmt: skip
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line)

    def run(self, command: str, timeout: float = 60) -> tuple[str, int]:
        """What the command printed (carriage returns dropped), and its exit status."""
        # No example reads its standard input: it must not swallow the commands that follow.
        self.process.stdin.write(f'{{\n{command}\n}} < /dev/null\nprintf "\\n{self.DONE} %s\\n" "$?"\n')
        self.process.stdin.flush()
        printed, deadline = [], time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                return "".join(printed) + f"\n(still running after {timeout:.0f} s)", -1
            if line.startswith(self.DONE):
                output = "".join(printed).removesuffix("\n").replace("\r\n", "\n")
                return output, int(line.split()[1])
            printed.append(line)

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=10)


@contextlib.contextmanager
def in_the_background(command: str, cwd: Path, env: dict[str, str], log: Path):
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            ["bash", "--noprofile", "--norc", "-c", command], cwd=cwd, env=env,
            stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        yield process
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)  # bash and what it started, in their own group
        process.wait(timeout=10)


def wait_for_lines(log: Path, count: int, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while len(log.read_text().splitlines()) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    return log.read_text()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# The tests.


def test_every_block_of_the_guide_is_run_or_says_why_not():
    steps = plan(fenced_blocks(GUIDE.read_text(encoding="utf-8")))

    actions = [step.action for step in steps]
    assert actions.count("run") >= 15  # the comparison below means nothing on a guide it cannot read
    assert actions.count("skip") == 1  # `make run` itself
    assert {"save", "background", "background output"} <= set(actions)
    commands = [command for step in steps for command in step.commands]
    assert sum(shown is not None for _, shown in commands) >= 20


@pytest.mark.parametrize(
    ("shown", "printed", "differs"),
    [
        ('{"status":"OPEN", …}', '{"status":"OPEN","priority":"HIGH"}', False),
        ('{"status":"OPEN"}', '{"status":"OPEN","priority":"HIGH"}', True),  # not shortened: every field shown
        ('{"status":"OPEN", …}', '{"status":"CLOSED","priority":"HIGH"}', True),
        (
            '{"results":[{"ticketNumber":"INC-2026-0002", … }, … ]}',
            '{"results":[{"ticketNumber":"INC-2027-0005"}]}',
            False,
        ),
        ('{"results":[{"ticketNumber":"INC-2026-0002"}]}', '{"results":[]}', True),
        ('{"count":2}', '{"count":1}', True),
    ],
)
def test_an_answer_matches_the_guides_only_where_the_guide_allows(shown, printed, differs):
    problems = Comparison({}).compare(Expected("json", shown, 1), printed)

    assert bool(problems) is differs, problems


def test_a_value_the_guide_says_will_differ_must_stay_the_same_once_seen():
    comparison = Comparison({})
    first = '{"ticketNumber":"INC-2026-0002","ticketId":"tkt_y_3pZ9dHpVbR9vOc1_0z"}'

    assert comparison.compare(Expected("json", first, 1), '{"ticketNumber":"INC-2027-0001","ticketId":"tkt_a"}') == []
    assert comparison.substitute("export NUMBER=INC-2026-0002") == "export NUMBER=INC-2027-0001"
    assert comparison.compare(Expected("json", first, 2), '{"ticketNumber":"INC-2027-0001","ticketId":"tkt_b"}') == [
        "$.ticketId: 'tkt_b', the guide shows 'tkt_a'"
    ]


def wait_for_a_whole_rate_limit_window(shell: Shell, command: str, margin: int = 15) -> None:
    """The rate-limit example counts several calls of one key against one minute; if that
    key's window (offset per key by django-ratelimit) ends within `margin` seconds, wait
    for the next, so that the calls cannot straddle two windows. The key is the one the
    command exports, or one already in the shell."""
    if "for i in" not in command:
        return
    prefixes = set(re.findall(r"\bsdk_([0-9a-f]{8})_", command))
    for name in re.findall(r"\$(\w*KEY)\b", command):
        value, _status = shell.run(f'printf "%s" "${name}"')
        prefixes |= set(re.findall(r"^sdk_([0-9a-f]{8})_", value))
    assert prefixes, f"no API key found for the rate-limit example: {command!r}"
    for prefix in prefixes:
        left = _get_window(prefix, 60) - time.time()
        if left < margin:
            time.sleep(left + 1)


@needs_real_services
def test_every_example_in_the_partner_guide_answers_as_the_guide_shows(gunicorn_server, reference_data, tmp_path):
    guide = GUIDE.read_text(encoding="utf-8")
    steps = plan(fenced_blocks(guide))
    receiver_port = free_port()
    comparison = Comparison(
        {
            MAKE_RUN_ADDRESS: gunicorn_server,
            f"--port {RECEIVER_ADDRESS.rpartition(':')[2]}": f"--port {receiver_port}",
            RECEIVER_ADDRESS: f"127.0.0.1:{receiver_port}",
        }
    )
    # README's example ticket, opened before the guide with another of the partner's keys
    # (so that the guide's first create is the first one its key makes this minute).
    readme_key = api_key_create(
        partner_code="DEMO", partner_name="Demo partner", name="README", permissions=[Permission.CREATE]
    )
    readme_body = create_body(channelReferenceId="WA-DEMO-001")
    del readme_body["integration"]  # names the spec's partner, and README sends none
    readme_ticket = requests.post(
        f"{gunicorn_server}/api/omnichannel/tickets",
        json=readme_body,
        headers={"X-API-Key": readme_key.raw_key},
        timeout=30,
    )
    assert readme_ticket.status_code == 201, readme_ticket.text
    # What `make run` prints: the demo key and webhook secret, as export lines to paste.
    printed = io.StringIO()
    with override_settings(DEBUG=True):
        call_command("demo_setup", base_url=gunicorn_server, stdout=printed)
    exports = re.findall(r"^\s*(export (KEY|WEBHOOK_SECRET)=(\S+))$", printed.getvalue(), re.MULTILINE)
    assert [name for _, name, _ in exports] == ["KEY", "WEBHOOK_SECRET"]
    for name, real_value in ((name, value) for _, name, value in exports):
        comparison.bind(re.search(rf"export {name}=(\S+)", guide)[1], real_value)

    # The project folder as the guide uses it (.venv, manage.py, examples), in a folder of
    # its own for the files the examples write.
    for name in (".venv", "manage.py", "examples"):
        (tmp_path / name).symlink_to(ROOT / name)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "DATABASE_CONN_MAX_AGE": "0",
    }
    problems: list[str] = []
    purge_queue()
    with contextlib.ExitStack() as stack:
        stack.enter_context(running_worker())
        shell = Shell(tmp_path, env)
        stack.callback(shell.close)
        background_log = None
        output, status = shell.run("\n".join(line for line, _, _ in exports))  # pasted
        assert (output, status) == ("", 0)
        for step in steps:
            where = f"docs/partners.md:{step.block.line}"
            if step.action == "save":
                (tmp_path / step.detail).write_text(comparison.substitute(step.block.text) + "\n")
            elif step.action == "background":
                background_log = tmp_path / f"background-{step.block.line}.log"
                stack.enter_context(
                    in_the_background(comparison.substitute(step.block.text), tmp_path, env, background_log)
                )
                if not wait_for_lines(background_log, 1, timeout=30):
                    problems.append(f"{where}: printed nothing within 30 s")
            elif step.action == "background output":
                shown_lines = len(step.block.text.splitlines())
                printed = wait_for_lines(background_log, shown_lines, timeout=30)
                printed = "\n".join(printed.splitlines()[:shown_lines])
                problems += [
                    f"{where}: {p}"
                    for p in comparison.compare(Expected("lines", step.block.text, step.block.line), printed)
                ]
            elif step.action == "run":
                for command, shown in step.commands:
                    wait_for_a_whole_rate_limit_window(shell, comparison.substitute(command))
                    if step.block.info == "python":
                        script = tmp_path / f"example-{step.block.line}.py"
                        script.write_text(comparison.substitute(command) + "\n")
                        command = f"python3 {script.name}"
                    output, status = shell.run(comparison.substitute(command))
                    line = shown.line if shown else step.block.line
                    if status != 0:
                        problems.append(f"docs/partners.md:{line}: exit status {status}:\n{output}")
                    elif shown is None:
                        if output:
                            problems.append(f"docs/partners.md:{line}: printed {output!r}, the guide shows nothing")
                    else:
                        problems += [f"docs/partners.md:{line}: {p}" for p in comparison.compare(shown, output)]

    assert not problems, "\n\n".join(problems)
