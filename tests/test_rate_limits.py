"""Rate limits of the anonymous surfaces, driven as a scraper would."""

from django.test import Client, RequestFactory

from audit.models import JournalEntry
from config.client_ip import client_ip
from tests.aidants.test_login import password_login


def test_verifier_flood_of_unknown_ids_is_429_and_barely_journaled(client, rate_limits):
    before = JournalEntry.objects.count()
    statuses = [client.get(f"/verifier/inconnu{n:04d}").status_code for n in range(150)]
    assert statuses[0] == 404
    assert 429 in statuses
    first = statuses.index(429)
    assert first < 149
    assert set(statuses[first:]) == {429}
    added = JournalEntry.objects.filter(seq__gt=before)
    assert added.count() < 20
    # One entry per limit crossed (unknown ids, then every check), no more.
    assert [(e.action, e.details["group"]) for e in added.order_by("seq")] == [
        ("rate_limited", "verify-unknown"),
        ("rate_limited", "verify"),
    ]
    assert added.first().details["ip"] == "127.0.0.1"


def test_429_page_is_french(client, rate_limits, settings):
    settings.RELAIS_RATE_LIMITS = {**rate_limits, "verify": "2/h"}
    for _ in range(2):
        client.get("/verifier/abc")
    response = client.get("/verifier/abc")
    assert response.status_code == 429
    assert "Trop de demandes" in response.content.decode()
    assert "Patientez quelques minutes" in response.content.decode()


def test_another_address_is_not_limited(rate_limits, settings):
    settings.RELAIS_RATE_LIMITS = {**rate_limits, "verify-unknown": "1/h"}
    scraper = Client(REMOTE_ADDR="203.0.113.9")
    scraper.get("/verifier/a")
    assert scraper.get("/verifier/b").status_code == 429
    assert Client(REMOTE_ADDR="198.51.100.7").get("/verifier/b").status_code == 404


def test_forged_forwarded_for_does_not_escape_the_limit(rate_limits, settings):
    # No proxy configured: the header is the client's own, ignored.
    settings.RELAIS_RATE_LIMITS = {**rate_limits, "verify-unknown": "1/h"}
    scraper = Client()
    scraper.get("/verifier/a", HTTP_X_FORWARDED_FOR="10.0.0.1")
    response = scraper.get("/verifier/b", HTTP_X_FORWARDED_FOR="10.0.0.2")
    assert response.status_code == 429


def test_login_posts_are_limited_per_address(client, aidant, rate_limits, settings):
    settings.RELAIS_RATE_LIMITS = {**rate_limits, "login": "3/10m"}
    for _ in range(3):
        response = client.post("/connexion/", {"email": "x@y.fr", "password": "z"})
        assert response.status_code == 200
    response = password_login(client, aidant)
    assert response.status_code == 429
    assert "Trop de demandes" in response.content.decode()
    assert client.get("/connexion/").status_code == 200


def test_usager_login_is_limited(client, rate_limits, settings, franceconnect):
    settings.RELAIS_RATE_LIMITS = {**rate_limits, "usager-login": "2/10m"}
    assert client.post("/mon-espace/connexion").status_code == 302
    assert client.post("/mon-espace/connexion").status_code == 302
    response = client.post("/mon-espace/connexion")
    assert response.status_code == 429
    assert client.get("/mon-espace/franceconnect/retour").status_code == 429


def _request(remote, forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_client_ip_without_proxy_ignores_the_header(settings):
    settings.RELAIS_PROXY_COUNT = 0
    assert client_ip(_request("203.0.113.1", "1.2.3.4")) == "203.0.113.1"


def test_client_ip_trusts_exactly_the_configured_proxies(settings):
    settings.RELAIS_PROXY_COUNT = 1
    # The client wrote "6.6.6.6"; the one proxy appended what it saw.
    assert client_ip(_request("10.0.0.2", "6.6.6.6, 203.0.113.5")) == "203.0.113.5"
    settings.RELAIS_PROXY_COUNT = 2
    forwarded = "6.6.6.6, 203.0.113.5, 10.0.0.1"
    assert client_ip(_request("10.0.0.2", forwarded)) == "203.0.113.5"


def test_client_ip_falls_back_to_the_peer_when_the_header_is_short_or_bad(settings):
    settings.RELAIS_PROXY_COUNT = 2
    assert client_ip(_request("10.0.0.2", "203.0.113.5")) == "10.0.0.2"
    assert client_ip(_request("10.0.0.2")) == "10.0.0.2"
    settings.RELAIS_PROXY_COUNT = 1
    assert client_ip(_request("10.0.0.2", "pas-une-adresse")) == "10.0.0.2"


def test_axes_and_the_journal_use_the_proxied_address(client, aidant, settings):
    settings.RELAIS_PROXY_COUNT = 1
    password_login_data = {"email": aidant.email, "password": "mauvais-mot-de-pas"}
    client.post("/connexion/", password_login_data, HTTP_X_FORWARDED_FOR="203.0.113.8")
    entry = JournalEntry.objects.order_by("-seq").first()
    assert entry.details["ip"] == "203.0.113.8"
    from axes.models import AccessAttempt

    assert AccessAttempt.objects.get().ip_address == "203.0.113.8"
