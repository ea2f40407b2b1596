"""Domain errors. Raised by services, shaped into the partner API's envelope by
omnichannel/errors.py and into messages by the admin."""


class DomainError(Exception):
    code = "domain_error"
    status_code = 400
    message = "The request could not be carried out."

    def __init__(self, message: str | None = None, *, errors: dict[str, str] | None = None):
        self.message = message or self.message
        self.errors = errors or {}
        super().__init__(self.message)


class TransitionNotAllowed(DomainError):
    code = "transition_not_allowed"
    status_code = 409

    def __init__(self, *, current: str, requested: str, allowed: list[str]):
        self.current = current
        self.requested = requested
        self.allowed = allowed
        allowed_text = ", ".join(allowed) if allowed else "none (the ticket is final)"
        super().__init__(
            f"Cannot change status from {current} to {requested}. Allowed from {current}: {allowed_text}.",
            errors={"status": f"Allowed transitions from {current}: {allowed_text}"},
        )


class TicketFinal(DomainError):
    code = "ticket_final"
    status_code = 409

    def __init__(self, *, status: str):
        super().__init__(f"The ticket is {status} and can no longer be changed.")


class ServiceNotConfigured(DomainError):
    code = "service_not_configured"
    status_code = 503

    def __init__(self, *, service_type: str):
        super().__init__(f"Service type {service_type} is not configured on this desk yet; try again later.")


class NotAnAgentOfTheGroup(DomainError):
    code = "not_an_agent_of_the_group"

    def __init__(self, *, user, group):
        super().__init__(f"{user} is not an active agent of {group}, so the ticket cannot be assigned to them.")
