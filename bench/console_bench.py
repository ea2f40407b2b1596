"""Server time of the agent console with 1,000,000 tickets.

Run `bench/sla_data.py` first (it writes the tickets into servicedesk_bench_sla), then:

    .venv/bin/python bench/console_bench.py

Each page is requested in this process through Django's test client, with production
settings and DEBUG off, against that PostgreSQL database: what is measured is the server's
work (URL routing, queries, template), not a network. Each page is fetched twice to warm
up, then ROUNDS times; the median and the slowest are printed, with the query count.
A user of the Administrator role (sees all 1,000,000) and an agent of one support group
are measured, on the default queue, each SLA state, each filter at its rarest value, search
and the ticket page.
"""

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import sla_data  # noqa: E402 - sets up the path to the bench database

ROUNDS = int(os.environ.get("CONSOLE_BENCH_ROUNDS", "15"))
COMMENTS = 50


def main() -> None:
    os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    sla_data.setup_django()
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from tickets.models import Branch, Comment, SupportGroup, Ticket

    if Ticket.objects.count() < 100_000:
        sys.exit("Run bench/sla_data.py first: the bench database has too few tickets.")

    users = get_user_model()
    # The Administrator role (sees every ticket), not a superuser: the permission checks run.
    admin, _ = users.objects.get_or_create(username="bench-admin", defaults={"is_staff": True})
    admin.groups.add(Group.objects.get(name="Administrator"))
    agent, _ = users.objects.get_or_create(username="bench-agent", defaults={"is_staff": True})
    agent.groups.add(Group.objects.get(name="Agent"))
    group = SupportGroup.objects.get(name="Customer Care")
    group.agents.add(agent)

    ticket = Ticket.objects.filter(support_group=group, status="IN_PROGRESS").order_by("pk").first()
    missing = COMMENTS - ticket.comments.count()
    Comment.objects.bulk_create(
        [
            Comment(
                ticket=ticket,
                body=f"Reply {n} about the card",
                is_internal=n % 5 == 0,
                author_type="AGENT",
                author_name="Bench agent",
                created_at=timezone.now(),
            )
            for n in range(max(missing, 0))
        ]
    )
    cif = ticket.customer.identifier

    # Each filter at its rarest value in the data (or a branch with no ticket): the
    # worst case for a list read in deadline order, which must find 100 matching rows.
    def rarest(field: str):
        row = (
            Ticket.objects.filter(status__in=["OPEN", "IN_PROGRESS", "PENDING"])
            .values(field)
            .annotate(n=Count("pk"))
            .order_by("n")
            .first()
        )
        return row[field], row["n"]

    rare = {field: rarest(field) for field in ["priority", "channel", "service__service_type", "support_group"]}
    branch = Branch.objects.order_by("pk").first()
    rare["branch"] = (branch.pk, Ticket.objects.filter(branch=branch).count())
    # The admin's own parameters: a related field's filter is on its id.
    parameter = {"support_group": "support_group", "branch": "branch__id__exact"}
    filters = [
        (
            f"ticket list: {field}={value} ({count:,})",
            f"/admin/tickets/ticket/?{parameter.get(field, field + '__exact')}={value}",
        )
        for field, (value, count) in rare.items()
    ]
    pages = [
        ("dashboard (admin index)", "/admin/"),
        ("ticket list: open queue, most urgent first", "/admin/tickets/ticket/"),
        ("ticket list: all statuses", "/admin/tickets/ticket/?status=all"),
        ("ticket list: SLA breached", "/admin/tickets/ticket/?sla=breached"),
        ("ticket list: unassigned", "/admin/tickets/ticket/?assignee=none"),
        ("ticket list: SLA paused", "/admin/tickets/ticket/?sla=paused"),
        ("ticket list: SLA at risk", "/admin/tickets/ticket/?sla=at_risk"),
        *filters,
        ("ticket list: search by CIF", f"/admin/tickets/ticket/?status=all&q={cif}"),
        ("ticket list: search by number", f"/admin/tickets/ticket/?status=all&q={ticket.number}"),
        (f"ticket page, {COMMENTS} comments", f"/admin/tickets/ticket/{ticket.pk}/change/"),
    ]
    print(f"{Ticket.objects.count():,} tickets; ticket page: {ticket.number} with {ticket.comments.count()} comments")
    print(f"{'who':<8} {'page':<46} {'median ms':>9} {'max ms':>7} {'queries':>7}")
    for who, user in [("admin", admin), ("agent", agent)]:
        client = Client()
        client.force_login(user)
        for label, url in pages:
            for _ in range(2):
                assert client.get(url).status_code == 200, (who, url)
            timings = []
            for _ in range(ROUNDS):
                with CaptureQueriesContext(connection) as queries:
                    started = time.perf_counter()
                    response = client.get(url)
                    timings.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200
            print(
                f"{who:<8} {label:<46} {statistics.median(timings):>9.0f} {max(timings):>7.0f} "
                f"{len(queries.captured_queries):>7}"
            )


if __name__ == "__main__":
    main()
