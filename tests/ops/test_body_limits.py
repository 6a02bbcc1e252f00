"""Bodies are refused before anything reads them: nothing reaches memory or the
temporary folder."""

import io

import pytest
from django.test import Client

MB = 1024 * 1024


class CountingBody(io.RawIOBase):
    """A request body produced on demand, counting what the server reads."""

    def __init__(self, size: int):
        self.remaining = size
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        count = min(len(buffer), self.remaining)
        buffer[:count] = b"x" * count
        self.remaining -= count
        self.read_bytes += count
        return count


def _multipart_post(client, path: str, size: int):
    body = CountingBody(size)
    response = client.generic(
        "POST",
        path,
        b"",
        CONTENT_TYPE="multipart/form-data; boundary=relais",
        CONTENT_LENGTH=str(size),
        **{"wsgi.input": body},
    )
    return response, body


@pytest.fixture
def upload_dir(settings, tmp_path):
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    return tmp_path


def test_50_mb_multipart_to_token_is_refused_unread(client, db, upload_dir):
    response, body = _multipart_post(client, "/oidc/token", 50 * MB)
    assert response.status_code == 413
    assert response.json()["error"] == "invalid_request"
    assert "taille" in response.json()["error_description"]
    assert body.read_bytes == 0
    assert list(upload_dir.iterdir()) == []


def _with_a_file(size: int) -> bytes:
    return (
        "--relais\r\n"
        'Content-Disposition: form-data; name="grant_type"\r\n\r\nx\r\n'
        "--relais\r\n"
        'Content-Disposition: form-data; name="cv"; filename="cv.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n" + "%" * size + "\r\n"
        "--relais--\r\n"
    ).encode()


@pytest.fixture
def tolerant_client():
    return Client(raise_request_exception=False)


def test_file_part_to_token_is_refused_with_oauth_json(tolerant_client, db, upload_dir):
    response = tolerant_client.generic(
        "POST",
        "/oidc/token",
        _with_a_file(900_000),
        content_type="multipart/form-data; boundary=relais",
        secure=True,
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert "envoi de fichiers" in response.json()["error_description"]
    assert list(upload_dir.iterdir()) == []


def test_file_part_in_a_page_form_is_refused_and_not_stored(
    tolerant_client, db, upload_dir
):
    response = tolerant_client.generic(
        "POST",
        "/connexion/",
        _with_a_file(900_000),
        content_type="multipart/form-data; boundary=relais",
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Format de demande refusé" in page
    assert "accepte pas l&#x27;envoi de fichiers" in page
    assert list(upload_dir.iterdir()) == []


def test_multipart_form_without_file_still_works(client, db):
    response = client.post("/connexion/", {"email": "x@example.fr", "password": "y"})
    assert response.status_code == 200


def test_large_form_to_a_page_gets_a_french_413(client, db):
    response = client.post(
        "/connexion/",
        "email=" + "a" * (2 * MB),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 413
    assert "Demande trop volumineuse" in response.content.decode()


def test_urlencoded_form_still_goes_through(client, db):
    response = client.post(
        "/connexion/",
        "email=x%40example.fr&password=y",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
