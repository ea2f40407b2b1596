"""OpenAPI details drf-spectacular cannot infer: the API-key scheme, and the spec's own
spelling of the paths (no trailing slash, `{ticketNumber}`)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "apikeys.authentication.ApiKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "X-API-Key"}


def spec_paths(result, generator, request, public):
    """Rewrite /tickets/ and /tickets/{ticket_number}/ as the spec writes them; both
    spellings are served (see omnichannel/urls.py)."""
    paths = {}
    for path, operations in result.get("paths", {}).items():
        spec_path = path.rstrip("/").replace("{ticket_number}", "{ticketNumber}")
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "path" and parameter.get("name") == "ticket_number":
                    parameter["name"] = "ticketNumber"
                    parameter["description"] = "The ticket number, e.g. INC-2024-0001."
        paths[spec_path] = operations
    result["paths"] = paths
    return result
