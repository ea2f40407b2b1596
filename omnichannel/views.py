"""The partner API: one view per resource. Views parse and answer HTTP; every change
goes through tickets.services and every read through tickets.selectors."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, PolymorphicProxySerializer, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from apikeys.models import Permission
from omnichannel import idempotency, throttling
from omnichannel import serializers as s
from omnichannel.errors import PartnerMismatch, TicketNotFound
from omnichannel.fields import holds_unstorable_text
from omnichannel.filters import TicketBatchFilter
from omnichannel.pagination import BatchPagination
from tickets import selectors, services
from tickets.actors import Actor
from tickets.models import Ticket, TicketStatus

ERROR = s.ErrorResponseSerializer
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description="Makes the write safe to retry for 24 hours: the same key and body answer the first "
    "answer again (with `Idempotent-Replayed: true`); the same key with another body is a 409. "
    "On create, `integration.requestId` does the same and takes precedence.",
)
COMMON_ERRORS = {
    401: OpenApiResponse(ERROR, description="Missing, unknown, revoked or expired API key."),
    403: OpenApiResponse(
        ERROR, description="The key lacks the permission, or is used from an address it does not allow."
    ),
    413: OpenApiResponse(ERROR, description="Request body too large."),
    415: OpenApiResponse(ERROR, description="Content-Type is not application/json."),
    429: OpenApiResponse(ERROR, description="Rate limit exceeded; `Retry-After` says when to retry."),
    500: OpenApiResponse(ERROR, description="Unexpected error; nothing was changed."),
}


class PartnerApiView(APIView):
    """Counts every authorised call against the key's rate limit and reports it in the
    X-RateLimit-* headers, on errors as well as on successes."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # authentication and permissions first
        usage = throttling.consume(api_key=request.auth, method=request.method, request=request)
        request.rate_limit_usage = usage
        if usage is not None and usage.exceeded:
            raise throttling.RateLimited(usage)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        usage = getattr(request, "rate_limit_usage", None)
        if usage is not None:
            for header, value in usage.headers().items():
                response[header] = value
        return response

    def run_idempotently(self, request, key: str | None, write) -> Response:
        if key is None:
            return write()
        digest = idempotency.fingerprint(method=request.method, path=request.path, body=request.data)
        return idempotency.run_once(partner=request.user.partner, key=key, digest=digest, write=write)


def _request_id(data) -> str | None:
    """integration.requestId when it can be a key; anything else is left to validation."""
    integration = data.get("integration") if isinstance(data, dict) else None
    request_id = integration.get("requestId") if isinstance(integration, dict) else None
    if not isinstance(request_id, str) or not request_id.strip() or len(request_id) > 128:
        return None
    return None if holds_unstorable_text(request_id) else request_id


class TicketCollectionView(PartnerApiView):
    """POST opens a ticket; GET answers the status of several."""

    required_permissions = {"POST": Permission.CREATE, "GET": Permission.READ}

    @extend_schema(
        operation_id="createTicket",
        summary="Create a ticket",
        request=s.TicketCreateRequestSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={
            201: s.TicketCreatedSerializer,
            409: OpenApiResponse(
                ERROR, description="The idempotency key was used with another request, or is still in flight."
            ),
            400: OpenApiResponse(ERROR, description="Validation failed; `errors` names each field by dotted path."),
            **COMMON_ERRORS,
            503: OpenApiResponse(ERROR, description="The service type is not configured yet."),
        },
    )
    def post(self, request):
        request_id = _request_id(request.data)
        header_key = idempotency.header_key(request)
        if request_id is not None:
            key = f"requestId:{request_id}"
        else:
            key = f"header:{header_key}" if header_key is not None else None
        return self.run_idempotently(request, key, lambda: self._create(request))

    def _create(self, request) -> Response:
        partner = request.user.partner
        serializer = s.TicketCreateRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        integration = serializer.validated_data.get("integration") or {}
        if integration.get("partnerId") and integration["partnerId"] != partner.code:
            raise PartnerMismatch()
        ticket = services.ticket_create(
            partner=partner, api_key=request.auth, draft=s.ticket_draft(serializer.validated_data)
        )
        return Response(s.TicketCreatedSerializer(ticket).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="batchTicketStatus",
        summary="Status of several tickets",
        parameters=[
            OpenApiParameter(
                "ticketNumber",
                OpenApiTypes.STR,
                many=True,
                explode=True,
                description="Repeatable; with channelReferenceId at most 100 values.",
            ),
            OpenApiParameter(
                "channelReferenceId", OpenApiTypes.STR, many=True, explode=True, description="Repeatable."
            ),
            OpenApiParameter(
                "status", OpenApiTypes.STR, many=True, explode=True, enum=TicketStatus.values, description="Repeatable."
            ),
            OpenApiParameter(
                "updatedSince", OpenApiTypes.DATETIME, description="Only tickets changed at or after this."
            ),
            OpenApiParameter("page", OpenApiTypes.INT, description="Page number, from 1."),
            OpenApiParameter(
                "pageSize",
                OpenApiTypes.INT,
                description="Tickets per page, 1 to 100 (50 by default); more reads as 100.",
            ),
        ],
        responses={
            200: s.TicketBatchSerializer,
            400: OpenApiResponse(ERROR, description="Invalid filter values, or more than 100 values."),
            404: OpenApiResponse(ERROR, description="No such page."),
            **COMMON_ERRORS,
        },
    )
    def get(self, request):
        filterset = TicketBatchFilter(
            request.query_params, queryset=selectors.tickets_for_partner(partner=request.user.partner)
        )
        if not filterset.is_valid():
            raise ValidationError(
                {
                    ("query" if field == "__all__" else field): " ".join(messages)
                    for field, messages in filterset.errors.items()
                }
            )
        paginator = BatchPagination()
        page = paginator.paginate_queryset(filterset.qs, request, view=self)
        return paginator.get_paginated_response(s.TicketStatusSerializer(page, many=True).data)


class TicketDetailView(PartnerApiView):
    """GET answers one ticket's status; PATCH comments on it, changes its status or attaches files."""

    required_permissions = {"GET": Permission.READ, "PATCH": Permission.UPDATE}

    def _ticket(self, request, ticket_number: str, *, with_details: bool) -> Ticket:
        if holds_unstorable_text(ticket_number):  # no ticket has such a number; the database could not compare it
            raise TicketNotFound()
        try:
            return selectors.ticket_get_for_partner(
                partner=request.user.partner, number=ticket_number, with_details=with_details
            )
        except Ticket.DoesNotExist:
            raise TicketNotFound() from None

    @extend_schema(
        operation_id="getTicketStatus",
        summary="Status of one ticket",
        responses={
            200: s.TicketStatusSerializer,
            404: OpenApiResponse(ERROR, description="No ticket of this partner has this number."),
            **COMMON_ERRORS,
        },
    )
    def get(self, request, ticket_number: str):
        return Response(s.TicketStatusSerializer(self._ticket(request, ticket_number, with_details=True)).data)

    @extend_schema(
        operation_id="updateTicket",
        summary="Comment on, change the status of, or attach files to a ticket",
        request=PolymorphicProxySerializer(
            component_name="TicketUpdateRequest",
            serializers=list(s.UPDATE_REQUEST_SERIALIZERS.values()),
            resource_type_field_name="action",
        ),
        parameters=[IDEMPOTENCY_KEY],
        responses={
            200: s.TicketUpdatedSerializer,
            400: OpenApiResponse(ERROR, description="Validation failed."),
            404: OpenApiResponse(ERROR, description="No ticket of this partner has this number."),
            409: OpenApiResponse(
                ERROR, description="The status change is not allowed, or the ticket is closed or cancelled."
            ),
            **COMMON_ERRORS,
        },
    )
    def patch(self, request, ticket_number: str):
        header_key = idempotency.header_key(request)
        key = f"header:{header_key}" if header_key is not None else None
        return self.run_idempotently(request, key, lambda: self._update(request, ticket_number))

    def _update(self, request, ticket_number: str) -> Response:
        ticket = self._ticket(request, ticket_number, with_details=False)
        action_serializer = s.TicketUpdateActionSerializer(data=request.data)
        action_serializer.is_valid(raise_exception=True)
        action = action_serializer.validated_data["action"]
        serializer = s.UPDATE_REQUEST_SERIALIZERS[action](data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        actor = Actor.for_partner(request.user.partner)

        if action == "ADD_COMMENT":
            comment = services.comment_add(ticket=ticket, body=data["comment"], actor=actor)
            result = {"comment": s.CommentSerializer(comment).data}
        elif action == "UPDATE_STATUS":
            change = services.ticket_change_status(
                ticket=ticket, to_status=data["status"], actor=actor, reason=data.get("comment") or ""
            )
            result = {"previousStatus": change.from_status, "status": change.to_status}
        else:
            rows = services.attachments_add(
                ticket=ticket, attachments=s.new_attachments(data["attachments"]), actor=actor
            )
            result = {"attachments": s.AttachmentSerializer(rows, many=True).data}
        return Response(
            {
                "success": True,
                "ticketNumber": ticket.number,
                "action": action,
                "result": result,
                "message": "Ticket updated successfully",
            }
        )
