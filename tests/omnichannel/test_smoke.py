from tests.payloads import create_body


def test_spec_create_example_opens_a_ticket(api_client, reference_data):
    response = api_client.post("/api/omnichannel/tickets", create_body(), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["metadata"]["slaHours"] == 4
