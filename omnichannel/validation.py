"""Per-service rules of the spec's "Service-Specific Requirements". Pure: the validated
request (camelCase keys, as the partner sent them) in, {"dotted.path": message} out."""

from tickets.models import ServiceType

REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    ServiceType.CLAIM: ("customer.name", "customer.email", "ticket.metadata.claimType", "ticket.metadata.claimAmount"),
    ServiceType.DISPUTE: ("customer.name", "customer.identifier", "ticket.metadata.transactionId"),
    ServiceType.ATM_ISSUE: ("customer.name", "ticket.metadata.atmId"),
    ServiceType.ACCOUNT_ISSUE: ("customer.name", "customer.identifier"),
}

# The spec's wording for the fields partners most often miss.
LABELS = {
    "customer.name": "Customer name",
    "customer.email": "Customer email",
    "customer.identifier": "Customer identifier (CIF)",
    "ticket.metadata.claimType": "Claim type",
    "ticket.metadata.claimAmount": "Claim amount",
    "ticket.metadata.transactionId": "Transaction ID",
    "ticket.metadata.atmId": "ATM ID",
}


def _lookup(data: dict, dotted_path: str):
    value = data
    for part in dotted_path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def missing_service_fields(service_type: str, data: dict) -> dict[str, str]:
    errors = {}
    for path in REQUIRED_FIELDS.get(service_type, ()):
        value = _lookup(data, path)
        if value is None or (isinstance(value, str) and not value.strip()):
            errors[path] = f"{LABELS[path]} is required for {service_type} tickets"
    return errors
