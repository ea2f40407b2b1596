"""`make fuzz`: schemathesis against our own OpenAPI schema, on a live server (gunicorn,
production settings) backed by PostgreSQL and Redis, with a valid key. Fixed seed and a
bounded number of examples per operation, so CI stays quick; FUZZ_EXAMPLES raises it for
a longer nightly run. Fails on any 5xx and on any answer that does not match the schema.

Negative data (values that break the schema) is generated as well as positive data; the
runs fail on a 5xx, on a response that does not match the schema, and on every other
schemathesis check but two:
- `positive_data_acceptance` (a request valid by the schema must be accepted): our
  per-service required fields (CLAIM needs customer.email, ...) and the branch and
  currency rules are not expressible in the schema, so schema-valid requests are rightly
  refused with 400;
- `negative_data_rejection` (a request that breaks the schema must be refused) in the
  first pass: its "wrong type" mutations of query parameters (an object or a boolean where
  a list of strings is expected) serialise to plain text in a query string, which is a
  valid value. A second pass runs it on the operations with a JSON body (create and
  update), with negative data only: there a body that breaks the schema must get a 4xx.
  tests/omnichannel/ pins the 400s for bad input one rule at a time as well."""

import os
import subprocess
import sys

os.environ.setdefault("BENCH_DATABASE", "servicedesk_fuzz")
os.environ.setdefault("BENCH_PORT", "8767")
os.environ.setdefault("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")

# run.py reads the settings above when it is imported.
from run import (
    BASE_URL,
    ENV,
    PYTHON,
    ROOT,
    bench_key,
    fresh_database,
    seed_by_api,
    start,
    stop,
    wait_until_serving,
)

ENV["LOG_LEVEL"] = "ERROR"  # thousands of expected 4xx would drown the report

EXAMPLES = os.environ.get("FUZZ_EXAMPLES", "60")
SEED = os.environ.get("FUZZ_SEED", "20261203")


def main() -> int:
    fresh_database()
    key = bench_key()
    server = start(PYTHON, "-m", "gunicorn", "config.wsgi:application", "--bind", BASE_URL.removeprefix("http://"),
                   "--workers", "2", "--log-level", "warning")  # fmt: skip
    try:
        wait_until_serving(key)
        seed_by_api(key, 3)  # so some generated numbers can meet real tickets
        every_operation = schemathesis(
            key, "every operation, positive and negative data", "fuzz-junit.xml",
            "--checks", "all", "--exclude-checks", "positive_data_acceptance,negative_data_rejection",
        )  # fmt: skip
        bodies_refused = schemathesis(
            key, "create and update, bodies that break the schema", "fuzz-negative-junit.xml",
            "--mode", "negative", "--include-method", "POST", "--include-method", "PATCH",
            "--checks", "negative_data_rejection,not_a_server_error,response_schema_conformance",
        )  # fmt: skip
        return every_operation or bodies_refused
    finally:
        stop(server)


def schemathesis(key: str, title: str, report: str, *options: str) -> int:
    print(f"\n=== schemathesis: {title} ===", flush=True)
    command = [
        str(ROOT / ".venv" / "bin" / "schemathesis"), "run", f"{BASE_URL}/api/omnichannel/schema/?format=json",
        "--url", BASE_URL, "--header", f"X-API-Key: {key}", *options,
        "--suppress-health-check", "filter_too_much",
        "--max-examples", EXAMPLES, "--seed", SEED, "--request-timeout", "30",
        "--report", "junit", "--report-junit-path", str(ROOT / "test-output" / report),
    ]  # fmt: skip
    return subprocess.run(command, cwd=ROOT, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
