from tests.factories import TicketFactory


def test_unknown_api_path_is_a_json_404(api_client, db):
    response = api_client.get("/api/omnichannel/nothing-here")

    assert response.status_code == 404
    assert response.json() == {"success": False, "error": "Not found.", "code": "not_found", "errors": {}}


def test_unsupported_method_is_a_405_in_the_envelope(api_client, reference_data, partner):
    ticket = TicketFactory(partner=partner)

    response = api_client.delete(f"/api/omnichannel/tickets/{ticket.number}")

    assert response.status_code == 405
    assert response.json() == {
        "success": False,
        "error": 'Method "DELETE" not allowed.',
        "code": "method_not_allowed",
        "errors": {},
    }


def test_unexpected_errors_are_a_bare_500_with_nothing_leaked(api_client, reference_data, monkeypatch):
    def explode(**kwargs):
        raise RuntimeError("relation tickets_ticket: SELECT secret FROM keys")

    monkeypatch.setattr("tickets.selectors.tickets_for_partner", explode)

    response = api_client.get("/api/omnichannel/tickets")

    assert response.status_code == 500
    assert response.json() == {
        "success": False,
        "error": "Internal server error.",
        "code": "server_error",
        "errors": {},
    }
