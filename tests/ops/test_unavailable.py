"""A database outage reaches people as a French 503 page and online services as
OAuth error JSON, both with Retry-After; never as a 500."""

import pytest
from django.db import OperationalError, connection
from django.test import Client

from tests.conftest import verified_client


def _database_down(execute, sql, params, many, context):
    raise OperationalError("connection to server failed")


@pytest.fixture
def tolerant_client():
    return Client(raise_request_exception=False)


def test_page_gets_the_french_503_page(tolerant_client, aidant):
    verified_client(tolerant_client, aidant)
    with connection.execute_wrapper(_database_down):
        response = tolerant_client.get("/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    page = response.content.decode()
    assert "Service momentanément indisponible" in page
    assert "réessayez dans quelques instants" in page


def test_token_endpoint_gets_oauth_error_json(tolerant_client, db):
    with connection.execute_wrapper(_database_down):
        response = tolerant_client.post(
            "/oidc/token",
            "grant_type=authorization_code&code=x",
            content_type="application/x-www-form-urlencoded",
            HTTP_AUTHORIZATION="Basic eDp5",
        )
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json()["error"] == "temporarily_unavailable"


def _bug(execute, sql, params, many, context):
    raise ValueError("a bug, not an outage")


def test_other_errors_stay_500(tolerant_client, db):
    with connection.execute_wrapper(_bug):
        response = tolerant_client.get("/oidc/jwks")
    assert response.status_code == 500


def test_a_session_ended_for_idling_in_a_transaction_is_an_outage():
    import psycopg
    from django.db import InternalError

    from ops.errors import is_database_unavailable

    try:
        try:
            raise psycopg.errors.IdleInTransactionSessionTimeout("terminating")
        except psycopg.Error as cause:
            raise InternalError("terminating") from cause
    except InternalError as exc:
        assert is_database_unavailable(exc)
    assert not is_database_unavailable(InternalError("a bug"))
