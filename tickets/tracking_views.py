"""The customer's tracking page behind trackingUrl: public, so it shows only what a
customer may see (public comments, status, expected resolution, a masked name) and a
wrong token looks exactly like an unknown ticket."""

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.http import require_GET
from django_ratelimit.core import is_ratelimited

from apikeys.permissions import client_address
from tickets import tracking
from tickets.models import AuthorType, Comment, Language, Ticket, TicketStatus

STEPS = ("received", "in_progress", "resolved")
STEP_OF_STATUS = {
    TicketStatus.OPEN: "received",
    TicketStatus.IN_PROGRESS: "in_progress",
    TicketStatus.PENDING: "in_progress",
    TicketStatus.RESOLVED: "resolved",
    TicketStatus.CLOSED: "resolved",
}
# Only the page's own stylesheet; no script, no frame, no form, no other origin.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def mask_name(name: str) -> str:
    """ "John Doe" → "J*** D**": enough for the customer to recognise, nothing more."""
    return " ".join(word[0] + "*" * (len(word) - 1) for word in name.split()) if name.strip() else ""


def _language(request, ticket: Ticket) -> str:
    asked = request.GET.get("lang")
    if asked in Language.values:
        return asked
    return ticket.preferred_language if ticket.preferred_language in Language.values else Language.INDONESIAN


def _secure(response: HttpResponse) -> HttpResponse:
    response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response["X-Frame-Options"] = "DENY"
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _too_many(request) -> bool:
    return is_ratelimited(
        request,
        group="tracking-page",
        key=lambda group, request: client_address(request),
        rate=settings.TRACKING_RATE_LIMIT,
        increment=True,
    )


@require_GET
def tracking_page(request, number: str, token: str):
    if _too_many(request):
        return _secure(HttpResponse("Too many requests. Please wait a minute.", status=429, content_type="text/plain"))
    ticket = Ticket.objects.select_related("service", "customer").filter(number=number).first()
    if ticket is None or not tracking.token_is_valid(number=number, public_id=ticket.public_id, token=token):
        raise Http404  # the same answer for an unknown number and a wrong token
    comments = Comment.objects.filter(ticket=ticket, is_internal=False).order_by("created_at", "pk")
    language = _language(request, ticket)
    step = STEP_OF_STATUS.get(ticket.status)
    with translation.override(language):
        response = render(
            request,
            "tracking/page.html",
            {
                "ticket": ticket,
                "customer_name": mask_name(ticket.customer.name),
                "comments": [
                    {"from_support": c.author_type != AuthorType.CUSTOMER, "body": c.body, "at": c.created_at}
                    for c in comments
                ],
                "steps": [
                    {"key": key, "done": step is not None and STEPS.index(key) <= STEPS.index(step)} for key in STEPS
                ],
                "cancelled": ticket.status == TicketStatus.CANCELLED,
                "language": language,
                "other_language": Language.ENGLISH if language == Language.INDONESIAN else Language.INDONESIAN,
            },
        )
        response["Content-Language"] = language
    return _secure(response)


@require_GET
def tracking_stylesheet(request):
    response = render(request, "tracking/page.css", content_type="text/css")
    response["Cache-Control"] = "public, max-age=86400"
    response["X-Content-Type-Options"] = "nosniff"
    return response
