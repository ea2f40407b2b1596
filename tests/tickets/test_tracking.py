from tickets.tracking import token_is_valid, tracking_token, tracking_url


def test_tracking_url_is_site_url_number_and_signature(settings):
    settings.SITE_URL = "https://servicedesk.banksulutgo.co.id"

    url = tracking_url(number="INC-2024-0001", public_id="tkt_abc")

    token = tracking_token(number="INC-2024-0001", public_id="tkt_abc")
    assert url == f"https://servicedesk.banksulutgo.co.id/track/INC-2024-0001/{token}/"
    assert len(token) >= 40


def test_token_is_valid_only_for_its_own_ticket():
    token = tracking_token(number="INC-2024-0001", public_id="tkt_abc")

    assert token_is_valid(number="INC-2024-0001", public_id="tkt_abc", token=token)
    assert not token_is_valid(number="INC-2024-0002", public_id="tkt_abc", token=token)
    assert not token_is_valid(number="INC-2024-0001", public_id="tkt_other", token=token)
    assert not token_is_valid(number="INC-2024-0001", public_id="tkt_abc", token=token[:-1] + "x")


def test_token_depends_on_the_secret_key(settings):
    before = tracking_token(number="INC-2024-0001", public_id="tkt_abc")
    settings.SECRET_KEY = "another-secret-key-for-this-test"

    assert tracking_token(number="INC-2024-0001", public_id="tkt_abc") != before
