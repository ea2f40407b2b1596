"""`make mutants`: proof that each security test guards its defence (issue 9, "fails if
the defence is removed"). For every defence below, a scratch copy of the tree has that
defence removed by one exact text edit, and the tests named for it must then FAIL.

    .venv/bin/python bench/mutants.py                  # every mutation, then the table
    .venv/bin/python bench/mutants.py --list           # what would be run
    .venv/bin/python bench/mutants.py --only auth-revoked --only ssrf-redirect
    .venv/bin/python bench/mutants.py --markdown       # the table as docs/security.md shows it

The working tree is never touched. Its files (tracked, plus untracked ones git does not
ignore, so that a new test counts before it is committed) are copied to a temporary folder,
which the project's own interpreter (.venv) runs pytest in, on SQLite: DATABASE_URL and
REDIS_URL are removed from the environment. First the selected tests run once unmutated and
must all pass, none skipped (the baseline). Then, one mutation at a time: the edit is applied
(its text must occur exactly once in the file, else the mutation is "broken": the code moved
on and the mutation must follow), the mutation's tests run with `-x`, and the file is put
back. A mutation is "killed" when a test fails, "survived" when they all pass. The exit
status is 0 only when every mutation was killed.

A mutation removes or disables the defence and nothing else, so the test that fails is the
one that watches it. Where a defence has two layers (the parser's 413 and Django's own cap),
each layer has its own mutation.
"""

import argparse
import datetime
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
PYTHON = str(VENV_PYTHON) if VENV_PYTHON.exists() else sys.executable
GIT = shutil.which("git") or "/usr/bin/git"
TIMEOUT_SECONDS = int(os.environ.get("MUTANTS_TIMEOUT", "300"))
# Real services would make these runs depend on the machine; the tests chosen all run on SQLite.
REMOVED_FROM_ENV = ("DATABASE_URL", "REDIS_URL", "REQUIRE_REAL_SERVICES", "DJANGO_SETTINGS_MODULE", "SECURE_COOKIES")

AUTH = "tests/apikeys/test_authentication.py"
SECRECY = "tests/security/test_api_key_secrecy.py"
TENANCY = "tests/security/test_tenancy.py"
INPUT = "tests/security/test_input.py"
CREATE = "tests/omnichannel/test_create_validation.py"
TARGETS = "tests/webhooks/test_targets.py"
SSRF = "tests/webhooks/test_ssrf.py"
CONSOLE = "tests/security/test_admin_console.py"
ADMIN = "tests/test_admin_security.py"
REMOVED = "tests/security/test_defences_removed.py"
COOKIE_TESTS = (
    f"{CONSOLE}::test_the_cookies_an_admin_login_sets_in_production_are_secure_and_the_session_httponly",
    f"{ADMIN}::test_session_and_csrf_cookies_are_secure_and_session_is_httponly_in_production",
)


@dataclass(frozen=True)
class Mutation:
    id: str
    defence: str
    path: str
    old: str
    new: str
    tests: tuple[str, ...]  # pytest node ids, cheapest first: -x stops at the first failure
    env: dict[str, str] = field(default_factory=dict)  # for a test that needs a real service


def _why_unsafe_exempting(condition: str) -> tuple[str, str]:
    """old → new for an early `return None` at the top of webhooks/targets.py::_why_unsafe."""
    head = (
        "def _why_unsafe(address: IPAddress) -> str | None:\n"
        '    """Why a webhook may not go to `address`, or None when it may."""\n'
    )
    return head, f"{head}    if {condition}:\n        return None\n"


MUTATIONS = [
    # ---------------------------------------------------------------- authentication
    Mutation(
        "auth-no-key",
        "no key: 401 not_authenticated",
        "apikeys/permissions.py",
        'raise exceptions.NotAuthenticated("An API key is required in the X-API-Key header.")',
        "return True",
        (f"{AUTH}::test_request_without_a_key_is_unauthenticated_with_a_challenge",),
    ),
    Mutation(
        "auth-malformed-key",
        "malformed key: 401 invalid_api_key",
        "apikeys/authentication.py",
        "if prefix is None:\n            raise InvalidApiKey()",
        "if prefix is None:\n            return None",
        (f"{AUTH}::test_malformed_key_is_invalid",),
    ),
    Mutation(
        "auth-wrong-secret",
        "a known prefix with another secret (another partner's): 401",
        "apikeys/authentication.py",
        "if api_key is None or not keys.key_matches(raw_key.strip(), api_key.key_hash):",
        "if api_key is None:",
        (
            f"{AUTH}::test_known_prefix_with_a_wrong_secret_is_invalid",
            f"{SECRECY}::test_our_prefix_with_another_partners_secret_is_an_invalid_key",
        ),
    ),
    Mutation(
        "auth-revoked",
        "revoked key: 401 api_key_revoked",
        "apikeys/authentication.py",
        "if api_key.is_revoked or not api_key.partner.is_active:",
        "if not api_key.partner.is_active:",
        (f"{AUTH}::test_revoked_key_is_refused",),
    ),
    Mutation(
        "auth-deactivated-partner",
        "key of a deactivated partner: 401",
        "apikeys/authentication.py",
        "if api_key.is_revoked or not api_key.partner.is_active:",
        "if api_key.is_revoked:",
        (f"{AUTH}::test_key_of_a_deactivated_partner_is_refused",),
    ),
    Mutation(
        "auth-expired",
        "expired key: 401 api_key_expired",
        "apikeys/authentication.py",
        "if api_key.is_expired(timezone.now()):",
        "if False:",
        (f"{AUTH}::test_expired_key_is_refused",),
    ),
    Mutation(
        "auth-query-string",
        "key read from the X-API-Key header only, never from `?api_key=`",
        "apikeys/authentication.py",
        "raw_key = request.META.get(HEADER)",
        'raw_key = request.META.get(HEADER) or request.GET.get("api_key")',
        (f"{AUTH}::test_key_in_the_query_string_only_is_not_accepted",),
    ),
    Mutation(
        "auth-constant-time",
        "digests compared with hmac.compare_digest",
        "apikeys/keys.py",
        "return hmac.compare_digest(digest_key(raw_key), stored_digest)",
        "return digest_key(raw_key) == stored_digest",
        (
            f"{SECRECY}::test_a_good_key_is_verified_by_hmac_compare_digest_of_the_digests",
            f"{SECRECY}::test_a_wrong_secret_with_a_known_prefix_is_refused_by_hmac_compare_digest",
        ),
    ),
    Mutation(
        "key-stored-in-clear",
        "only the key's SHA-256 stored (here the raw key lands in its name)",
        "apikeys/services.py",
        "        name=name,\n        prefix=new_key.prefix,",
        '        name=f"{name} {new_key.raw}",\n        prefix=new_key.prefix,',
        (
            f"{SECRECY}::test_a_key_made_by_create_api_key_is_in_no_column_of_any_table",
            f"{SECRECY}::test_a_key_made_in_the_admin_is_in_no_column_of_any_table_while_it_is_shown",
        ),
    ),
    Mutation(
        "key-logged",
        "the raw key never logged (here authentication logs it)",
        "apikeys/authentication.py",
        "        prefix = keys.parse_prefix(raw_key.strip())",
        '        __import__("logging").getLogger(__name__).warning("API key %s", raw_key)\n'
        "        prefix = keys.parse_prefix(raw_key.strip())",
        (f"{SECRECY}::test_a_raw_key_never_reaches_the_logs_or_the_sql",),
    ),
    Mutation(
        "key-in-sql",
        "the raw key never in an SQL statement",
        "apikeys/authentication.py",
        ".filter(prefix=prefix).first()",
        ".filter(prefix=prefix).exclude(key_hash=raw_key).first()",
        (f"{SECRECY}::test_a_raw_key_never_reaches_the_logs_or_the_sql",),
    ),
    Mutation(
        "webhook-secret-clear",
        "the partner's webhook secret stored encrypted, not in clear",
        "apikeys/fields.py",
        "        return secret_box.encrypt(value)\n",
        "        return value\n",
        (
            f"{SECRECY}::test_the_webhook_secret_is_in_no_column_of_any_table",
            "tests/apikeys/test_secret_encryption.py::test_the_column_holds_a_fernet_token_that_decrypts_to_the_secret",
        ),
    ),
    Mutation(
        "key-query-logged",
        "the request line logs parameter names, not values (`?api_key=...`)",
        "config/request_logging.py",
        'names = query_parameter_names(request.META.get("QUERY_STRING", ""))',
        'names = request.META.get("QUERY_STRING", "")',
        (
            f"{SECRECY}::test_a_raw_key_never_reaches_the_logs_or_the_sql",
            "tests/test_request_logs.py::test_a_batch_read_logs_the_parameter_names_never_their_values",
        ),
    ),
    # ---------------------------------------------------------------- tenancy
    Mutation(
        "tenancy-ticket",
        "another partner's ticket is a 404 on GET and every PATCH",
        "tickets/selectors.py",
        "tickets = Ticket.objects.filter(partner=partner, number=number)",
        "tickets = Ticket.objects.filter(number=number)",
        (
            f"{TENANCY}::test_get_of_another_partners_ticket_is_the_unknown_number_answer",
            f"{TENANCY}::test_patch_of_another_partners_ticket_is_404_and_changes_no_row",
            f"{SECRECY}::test_another_partners_valid_key_sees_our_ticket_as_unknown",
            "tests/omnichannel/test_update.py::test_patch_of_another_partners_ticket_is_404_and_changes_nothing",
        ),
    ),
    Mutation(
        "tenancy-batch",
        "batch GET answers only the partner's tickets",
        "tickets/selectors.py",
        "_with_status_details(Ticket.objects.filter(partner=partner))",
        "_with_status_details(Ticket.objects.all())",
        (
            f"{TENANCY}::test_batch_never_answers_another_partners_ticket",
            "tests/omnichannel/test_batch.py::test_batch_never_returns_another_partners_tickets",
        ),
    ),
    Mutation(
        "tenancy-partner-id",
        "integration.partnerId must be the key's partner (403)",
        "omnichannel/views.py",
        'if integration.get("partnerId") and integration["partnerId"] != partner.code:',
        "if False:",
        (f"{CREATE}::test_partner_id_of_another_partner_is_forbidden",),
    ),
    # ---------------------------------------------------------------- input
    Mutation(
        "input-nesting",
        "JSON nested 1,000 deep: 400 parse_error",
        "omnichannel/parsers.py",
        "except RecursionError:",
        "except ZeroDivisionError:",
        (f"{CREATE}::test_malformed_json_is_a_parse_error",),
    ),
    Mutation(
        "input-body-cap-parser",
        "body over the partner API's limit: 413 (the parser's own limit)",
        "omnichannel/parsers.py",
        "limit = settings.OMNICHANNEL_MAX_BODY_BYTES",
        "limit = 10**12",
        (f"{CREATE}::test_body_over_the_size_limit_is_refused_with_413",),
    ),
    Mutation(
        "input-body-cap-django",
        "100 MB body: 413 before it is read (Django's DATA_UPLOAD_MAX_MEMORY_SIZE)",
        "config/settings/base.py",
        "DATA_UPLOAD_MAX_MEMORY_SIZE = OMNICHANNEL_MAX_BODY_BYTES",
        "DATA_UPLOAD_MAX_MEMORY_SIZE = None",
        (
            f"{INPUT}::test_a_declared_100_mb_body_is_refused_before_a_byte_is_read",
            f"{INPUT}::test_a_declared_100_mb_body_is_answered_413_request_too_large",
        ),
    ),
    Mutation(
        "input-utf8",
        "invalid UTF-8: 400 parse_error",
        "omnichannel/parsers.py",
        'text = raw.decode((parser_context or {}).get("encoding") or settings.DEFAULT_CHARSET)',
        'text = raw.decode((parser_context or {}).get("encoding") or settings.DEFAULT_CHARSET, errors="replace")',
        (f"{CREATE}::test_malformed_json_is_a_parse_error",),
    ),
    Mutation(
        "input-nul-raw",
        "a raw NUL byte in the body: 400 parse_error",
        "omnichannel/parsers.py",
        "return json.loads(text, parse_float=Decimal,",
        "return json.loads(text, strict=False, parse_float=Decimal,",
        (f"{INPUT}::test_a_raw_nul_byte_in_the_body_is_a_parse_error",),
    ),
    Mutation(
        "input-nul-text",
        "NUL in free-form metadata: 400 under its path",
        "omnichannel/fields.py",
        'if "\\x00" in value:\n            return True',
        "if False:\n            return True",
        (f"{CREATE}::test_unstorable_text_in_free_form_metadata_is_refused",),
    ),
    Mutation(
        "input-nul-filename",
        "NUL in an attachment's filename: 400 under its path",
        "omnichannel/serializers.py",
        "filename = StrictCharField(max_length=255)",
        "filename = serializers.JSONField()",
        (f"{INPUT}::test_a_nul_in_an_attachment_filename_is_refused_under_its_path",),
    ),
    Mutation(
        "input-huge-integer",
        "a 5,000-digit integer: 400 under its field, not a parse error",
        "omnichannel/parsers.py",
        "return int(text) if len(text) <= 100 else Decimal(text)",
        "return int(text)",
        (
            f"{CREATE}::test_claim_amount_out_of_range_as_raw_json_is_refused",
            f"{INPUT}::test_a_huge_number_is_a_400_under_its_path",
        ),
    ),
    Mutation(
        "input-huge-amount",
        "an amount beyond 15 digits (1e30, 10^400): 400",
        "omnichannel/fields.py",
        'kwargs.setdefault("max_digits", 15)',
        'kwargs.setdefault("max_digits", None)',
        (f"{CREATE}::test_claim_amount_out_of_range_as_raw_json_is_refused",),
    ),
    Mutation(
        "input-negative-amount",
        "a negative or zero amount: 400",
        "omnichannel/fields.py",
        'kwargs.setdefault("min_value", Decimal("0.01"))',
        'kwargs.setdefault("min_value", None)',
        (f"{CREATE}::test_claim_amount_that_is_not_a_positive_amount_is_refused",),
    ),
    Mutation(
        "input-non-numeric-amount",
        "a non-numeric amount: 400",
        "omnichannel/serializers.py",
        "claimAmount = AmountField(required=False, allow_null=True)",
        "claimAmount = serializers.JSONField(required=False, allow_null=True)",
        (f"{CREATE}::test_claim_amount_that_is_not_a_positive_amount_is_refused",),
    ),
    Mutation(
        "input-attachment-count",
        "at most 10 attachments, counted before any is decoded (10,000 refused)",
        "omnichannel/serializers.py",
        "AttachmentInputSerializer(many=True, max_length=settings.OMNICHANNEL_MAX_ATTACHMENTS_PER_REQUEST, **kwargs)",
        "AttachmentInputSerializer(many=True, **kwargs)",
        (
            f"{CREATE}::test_more_than_ten_attachments_are_refused",
            f"{INPUT}::test_ten_thousand_attachments_on_create_are_refused_before_any_is_decoded",
        ),
    ),
    Mutation(
        "input-base64-bomb",
        "base64 length capped before it is decoded",
        "omnichannel/serializers.py",
        "        max_length=MAX_BASE64_CHARS,\n",
        "",
        (f"{INPUT}::test_a_huge_base64_content_is_refused_by_its_length_before_it_is_decoded",),
    ),
    Mutation(
        "input-filename-path",
        "a filename with ../ is cut to its last component",
        "tickets/attachments.py",
        'name = posixpath.basename(name).strip().lstrip(".")',
        'name = name.strip().lstrip(".")',
        (f"{CREATE}::test_attachment_filename_with_a_path_is_stored_as_its_last_component",),
    ),
    Mutation(
        "input-mime-sniff",
        "HTML or SVG declared as image/png: 400 (magic bytes)",
        "tickets/attachments.py",
        "if sniffed not in ALLOWED_MIME_TYPES[mime_type]:",
        "if False:",
        (
            f"{CREATE}::test_bad_attachment_is_refused_under_its_field[html-as-png]",
            f"{CREATE}::test_bad_attachment_is_refused_under_its_field[svg-as-png]",
        ),
    ),
    Mutation(
        "input-declared-size",
        "a declared size that lies: 400",
        "tickets/attachments.py",
        "if declared_size is not None and declared_size != len(data):",
        "if False:",
        (
            f"{CREATE}::test_bad_attachment_is_refused_under_its_field[size-too-big]",
            f"{CREATE}::test_bad_attachment_is_refused_under_its_field[size-too-small]",
        ),
    ),
    # ---------------------------------------------------------------- webhooks (SSRF)
    Mutation(
        "ssrf-address-check",
        "non-public webhook targets refused at all",
        "webhooks/targets.py",
        "    if not allow_private:\n        for address in addresses:",
        "    if allow_private:\n        for address in addresses:",
        (
            f"{SSRF}::test_a_host_name_resolving_to_127_0_0_1_is_never_contacted",
            f"{TARGETS}::test_a_host_resolving_to_a_non_public_address_is_refused",
        ),
    ),
    Mutation(
        "ssrf-private",
        "private addresses (10/8, 172.16/12, 192.168/16) refused",
        "webhooks/targets.py",
        *_why_unsafe_exempting(
            'any(address in ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))'
        ),
        (
            f"{SSRF}::test_create_refuses_a_webhook_url_that_can_never_be_delivered_to",
            f"{TARGETS}::test_a_host_resolving_to_a_non_public_address_is_refused",
        ),
    ),
    Mutation(
        "ssrf-loopback",
        "loopback refused",
        "webhooks/targets.py",
        *_why_unsafe_exempting("address.is_loopback"),
        (
            f"{SSRF}::test_a_host_name_resolving_to_127_0_0_1_is_never_contacted",
            f"{SSRF}::test_a_loopback_address_in_any_form_is_never_contacted",
        ),
    ),
    Mutation(
        "ssrf-link-local",
        "link-local refused (169.254.169.254, the metadata service)",
        "webhooks/targets.py",
        *_why_unsafe_exempting("address.is_link_local"),
        (
            f"{SSRF}::test_create_refuses_a_webhook_url_that_can_never_be_delivered_to",
            f"{TARGETS}::test_a_host_resolving_to_a_non_public_address_is_refused",
        ),
    ),
    Mutation(
        "ssrf-ipv6",
        "IPv6 non-public addresses refused (::1, fe80::, fc00::)",
        "webhooks/targets.py",
        "        if address.ipv4_mapped:\n"
        "            # The kernel connects to the IPv4 address itself, which passed.\n"
        "            return None",
        "        return None",
        (
            f"{TARGETS}::test_ipv6_literals_are_refused",
            f"{SSRF}::test_a_loopback_address_in_any_form_is_never_contacted",
        ),
    ),
    Mutation(
        "ssrf-ipv4-mapped",
        "IPv4-mapped IPv6 judged by its IPv4 address",
        "webhooks/targets.py",
        "    if address.ipv4_mapped:\n        embedded.append(address.ipv4_mapped)\n",
        "",
        (
            f"{SSRF}::test_a_loopback_address_in_any_form_is_never_contacted",
            f"{TARGETS}::test_a_host_resolving_to_a_non_public_address_is_refused",
        ),
    ),
    Mutation(
        "ssrf-decimal-octal",
        "IPv4 literals read as libc reads them (2130706433, 0177.0.0.1, 0x7f.1)",
        "webhooks/targets.py",
        "    try:\n"
        "        packed = socket.inet_aton(ascii_host)\n"
        "    except OSError:\n"
        "        return ascii_host, None\n"
        "    return ascii_host, ipaddress.IPv4Address(packed)",
        "    try:\n"
        "        return ascii_host, ipaddress.IPv4Address(ascii_host)\n"
        "    except ValueError:\n"
        "        return ascii_host, None",
        (f"{TARGETS}::test_ipv4_literals_in_every_libc_form_are_read_as_loopback_and_refused",),
    ),
    Mutation(
        "ssrf-redirect",
        "a redirect is not followed (retries=False alone stops one too: both go)",
        "webhooks/transport.py",
        "redirect=False,\n                retries=False,",
        "redirect=True,\n                retries=urllib3.Retry(total=3, redirect=3),",
        (
            f"{SSRF}::test_a_redirect_to_the_metadata_address_is_not_followed",
            "tests/webhooks/test_delivery.py::test_a_redirect_is_not_followed_and_is_final",
        ),
    ),
    Mutation(
        "ssrf-pinned",
        "the connection goes to the checked address, the host is not resolved again",
        "webhooks/transport.py",
        "pool = _pool(target, address, timeout)",
        "pool = _pool(target, target.host, timeout)",
        (f"{REMOVED}::test_a_webhook_goes_to_the_checked_address_and_its_host_is_not_resolved_again",),
    ),
    # ---------------------------------------------------------------- admin
    Mutation(
        "admin-csrf",
        "admin writes need the CSRF token (here the reply view is exempted)",
        "tickets/ticket_admin.py",
        "self.admin_site.admin_view(self.reply_view)",
        'self.admin_site.admin_view(__import__("django.views.decorators.csrf", fromlist=["x"])'
        ".csrf_exempt(self.reply_view))",
        (f"{CONSOLE}::test_an_admin_write_without_the_csrf_token_is_refused_and_changes_nothing[reply_from_the_page]",),
    ),
    Mutation(
        "admin-session-cookie-secure",
        "production: session cookie Secure",
        "config/settings/production.py",
        'SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)',
        'SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)',
        COOKIE_TESTS,
    ),
    Mutation(
        "admin-csrf-cookie-secure",
        "production: CSRF cookie Secure",
        "config/settings/production.py",
        'CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)',
        'CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)',
        COOKIE_TESTS,
    ),
    Mutation(
        "admin-session-cookie-httponly",
        "production: session cookie HttpOnly",
        "config/settings/production.py",
        "SESSION_COOKIE_HTTPONLY = True",
        "SESSION_COOKIE_HTTPONLY = False",
        COOKIE_TESTS,
    ),
    Mutation(
        "admin-login-limit",
        "login attempts limited: 5 failures lock out (django-axes)",
        "config/settings/base.py",
        "AXES_FAILURE_LIMIT = 5",
        "AXES_FAILURE_LIMIT = 50",
        (
            "tests/security/test_admin_login.py"
            "::test_five_failed_logins_lock_the_username_out_from_that_address_until_the_cool_off",
        ),
    ),
    Mutation(
        "admin-login-backend",
        "login attempts limited: AxesBackend checks the lockout",
        "config/settings/base.py",
        'AUTHENTICATION_BACKENDS = ["axes.backends.AxesBackend", "django.contrib.auth.backends.ModelBackend"]',
        'AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]',
        (
            "tests/security/test_admin_login.py"
            "::test_five_failed_logins_lock_the_username_out_from_that_address_until_the_cool_off",
        ),
    ),
    Mutation(
        "admin-api-key",
        "an API key does not open the admin (here the admin site accepts one)",
        "config/urls.py",
        'admin.site.index_title = "Agent console"\n',
        'admin.site.index_title = "Agent console"\n'
        "admin.site.has_permission = lambda request: (request.user.is_active and request.user.is_staff) or bool(\n"
        '    __import__("apikeys.authentication", fromlist=["x"]).ApiKeyAuthentication().authenticate(request)\n'
        ")\n",
        (f"{ADMIN}::test_an_api_key_does_not_open_the_admin",),
    ),
    # ---------------------------------------------------------------- other threats of docs/security.md
    Mutation(
        "log-refused-body",
        "no request body in the logs (here a refused one is logged)",
        "omnichannel/errors.py",
        "    if isinstance(exc, exceptions.ValidationError):\n",
        "    if isinstance(exc, exceptions.ValidationError):\n"
        '        logger.warning("refused body %s", context["request"].data)\n',
        ("tests/security/test_personal_data_in_logs.py::test_no_personal_data_is_logged_along_a_partner_journey",),
    ),
    Mutation(
        "webhook-replay-window",
        "a signed webhook more than 5 minutes old or ahead is refused",
        "webhooks/signing.py",
        "if abs(now - int(timestamp)) > tolerance_seconds:",
        "if False:",
        (
            "tests/webhooks/test_signing.py::test_timestamp_301_seconds_old_is_rejected_as_a_replay",
            "tests/webhooks/test_signing.py::test_timestamp_301_seconds_in_the_future_is_rejected",
        ),
    ),
    Mutation(
        "agent-groups",
        "an agent sees only the tickets of their support groups",
        "tickets/selectors.py",
        'return Ticket.objects.filter(support_group_id__in=_groups_of(user).values("pk"))',
        "return Ticket.objects.all()",
        (
            "tests/tickets/test_agent_console.py::test_agent_lists_only_the_tickets_of_their_groups",
            "tests/tickets/test_agent_console.py::test_agent_gets_404_for_the_page_of_another_groups_ticket",
        ),
    ),
]


@dataclass
class Result:
    mutation: Mutation
    outcome: str  # killed, survived, broken, error, timeout
    seconds: float
    detail: str = ""


# ---------------------------------------------------------------- the scratch tree


def copy_tree(destination: Path) -> None:
    """The working tree's files as they are now: tracked and not ignored, deleted ones left out."""
    listed = subprocess.run(
        [GIT, "-C", str(ROOT), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        check=True, capture_output=True,
    ).stdout.decode().split("\0")  # fmt: skip
    for name in filter(None, listed):
        source = ROOT / name
        if not source.is_file() and not source.is_symlink():
            continue  # deleted in the working tree, or a submodule
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target, follow_symlinks=False)
    # Compiled translations are build output (git-ignored) that the tests read.
    for compiled in ROOT.glob("locale/*/LC_MESSAGES/*.mo"):
        target = destination / compiled.relative_to(ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(compiled, target)


def pytest_env(scratch: Path, extra: dict[str, str]) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name not in REMOVED_FROM_ENV}
    temporary = scratch / "tmp"
    temporary.mkdir(exist_ok=True)
    # No .pyc: a mutation and its undo within one second, of one size, could reuse a stale one.
    env.update(PYTHONDONTWRITEBYTECODE="1", TMPDIR=str(temporary), PYTHONPATH=str(scratch / "tree"), **extra)
    env["COLUMNS"] = "400"  # pytest cuts the reason off a FAILED line at the terminal's width
    return env


def run_pytest(scratch: Path, tests: list[str], *, env: dict[str, str], stop_at_first: bool):
    command = [PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider", *(["-x"] if stop_at_first else []), *tests]
    return subprocess.run(
        command, cwd=scratch / "tree", env=pytest_env(scratch, env),
        capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False,
    )  # fmt: skip


def first_failure(output: str) -> str:
    """The first `FAILED node - reason` line of pytest's short summary (-ra is in addopts)."""
    for line in output.splitlines():
        if line.startswith(("FAILED tests/", "ERROR tests/")):
            return line[:400]
    return ""


def summary_line(output: str) -> str:
    lines = [line for line in output.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "(no output)"


# ---------------------------------------------------------------- baseline and mutations


def baseline(scratch: Path, mutations: list[Mutation]) -> bool:
    """Every selected test passes, and none is skipped, on the unmutated copy."""
    groups: dict[tuple, list[str]] = {}
    for mutation in mutations:
        tests = groups.setdefault(tuple(sorted(mutation.env.items())), [])
        tests.extend(test for test in mutation.tests if test not in tests)
    ok = True
    for env, tests in groups.items():
        started = time.monotonic()
        try:
            completed = run_pytest(scratch, tests, env=dict(env), stop_at_first=False)
        except subprocess.TimeoutExpired:
            print(f"baseline: timed out after {TIMEOUT_SECONDS} s", flush=True)
            return False
        last = summary_line(completed.stdout)
        print(f"baseline ({len(tests)} selections{', ' + str(dict(env)) if env else ''}): {last}"
              f" [{time.monotonic() - started:.0f} s]", flush=True)  # fmt: skip
        if completed.returncode != 0 or re.search(r"\bskipped\b|\bdeselected\b", last):
            print(completed.stdout[-6000:] + completed.stderr[-3000:], flush=True)
            ok = False
    return ok


def run_mutation(scratch: Path, mutation: Mutation) -> Result:
    path = scratch / "tree" / mutation.path
    original = path.read_text()
    count = original.count(mutation.old)
    if count != 1:
        return Result(mutation, "broken", 0.0, f"the text to replace occurs {count} times in {mutation.path}")
    started = time.monotonic()
    path.write_text(original.replace(mutation.old, mutation.new))
    try:
        completed = run_pytest(scratch, list(mutation.tests), env=mutation.env, stop_at_first=True)
    except subprocess.TimeoutExpired:
        return Result(mutation, "timeout", time.monotonic() - started, f"no verdict in {TIMEOUT_SECONDS} s")
    finally:
        path.write_text(original)
    seconds = time.monotonic() - started
    output = completed.stdout + completed.stderr
    if completed.returncode == 0:
        return Result(mutation, "survived", seconds, summary_line(completed.stdout))
    if completed.returncode == 1:
        return Result(mutation, "killed", seconds, first_failure(output))
    # 2: interrupted or a collection error (the mutation broke an import), 4: a bad node id, 5: no test.
    return Result(mutation, "error", seconds, f"pytest exit {completed.returncode}: {output.strip()[-500:]}")


# ---------------------------------------------------------------- the table


def short_tests(tests: tuple[str, ...]) -> str:
    return ", ".join(test.rsplit("/", 1)[-1] for test in tests)


def table(results: list[Result], *, markdown: bool) -> str:
    header = ("mutation", "defence removed", "file", "tests that must fail", "result", "s")
    rows = [
        (
            r.mutation.id + (" (PostgreSQL)" if "DATABASE_URL" in r.mutation.env else ""),
            r.mutation.defence,
            r.mutation.path,
            short_tests(r.mutation.tests),
            r.outcome,
            f"{r.seconds:.1f}",
        )
        for r in results
    ]
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
        for row in rows:
            tests = ", ".join(f"`{test}`" for test in row[3].split(", "))
            lines.append("| " + " | ".join([*row[:2], f"`{row[2]}`", tests, *row[4:]]) + " |")
        return "\n".join(lines)
    # The tests column is long: plain text shows it last, unpadded.
    order = (0, 1, 2, 4, 5, 3)
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in order[:-1]]
    lines = []
    for row in [header, *rows]:
        cells = [str(row[i]).ljust(width) for i, width in zip(order, widths, strict=False)]
        lines.append("  ".join([*cells, row[order[-1]]]))
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", action="append", metavar="ID", help="run this mutation only (repeatable)")
    parser.add_argument("--list", action="store_true", help="list the mutations and exit")
    parser.add_argument("--markdown", action="store_true", help="print the final table in Markdown")
    options = parser.parse_args()

    known = {mutation.id for mutation in MUTATIONS}
    assert len(known) == len(MUTATIONS), "mutation ids must be unique"
    unknown = set(options.only or []) - known
    if unknown:
        parser.error(f"unknown mutation {', '.join(sorted(unknown))}; see --list")
    mutations = [m for m in MUTATIONS if not options.only or m.id in options.only]

    if options.list:
        for mutation in mutations:
            print(f"{mutation.id:32} {mutation.path:32} {mutation.defence}")
            for test in mutation.tests:
                print(f"{'':32} {test}")
        return 0

    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="mutants-") as scratch_name:
        scratch = Path(scratch_name)
        copy_tree(scratch / "tree")
        print(f"scratch copy of {ROOT} in {scratch}; {len(mutations)} mutations", flush=True)
        if not baseline(scratch, mutations):
            print("baseline failed: the selected tests must pass unmutated before a mutation means anything")
            return 2
        results = []
        for number, mutation in enumerate(mutations, 1):
            result = run_mutation(scratch, mutation)
            results.append(result)
            print(f"[{number}/{len(mutations)}] {mutation.id}: {result.outcome} in {result.seconds:.1f} s"
                  f"{'  ' + result.detail if result.detail else ''}", flush=True)  # fmt: skip

    total = time.monotonic() - started
    bad = [r for r in results if r.outcome != "killed"]
    print()
    print(table(results, markdown=options.markdown))
    print()
    now = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    print(f"{len(results) - len(bad)} of {len(results)} killed; {now}; {total:.0f} s in all (baseline included)")
    for result in bad:
        print(f"NOT KILLED {result.mutation.id} ({result.outcome}): {result.detail}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
