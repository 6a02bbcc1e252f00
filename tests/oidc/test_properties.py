"""Property tests: whatever the parameters of authorize and token, the answer
is a proper OAuth/OIDC error (a redirect to the registered URI, a 400 page or a
400/401 JSON), never a 500, and nothing is issued."""

import base64

from django.test import Client as DjangoClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oidc.models import AuthorizationCode, Token
from tests.oidc.conftest import REDIRECT_URI, SECRET, authorize_params

text = st.text(max_size=300)
maybe = st.one_of(st.none(), text, st.just(""))
SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
AUTHORIZE_FIELDS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "claims",
    "prompt",
    "acr_values",
    "max_age",
)


def _clean(value):
    # The HTTP layer cannot carry NUL bytes in a query string; keep the rest.
    return value.replace("\x00", "") if isinstance(value, str) else value


@SETTINGS
@given(
    overrides=st.dictionaries(st.sampled_from(AUTHORIZE_FIELDS), maybe, max_size=4),
    duplicate=st.one_of(st.none(), st.sampled_from(AUTHORIZE_FIELDS)),
)
def test_authorize_never_fails_with_a_500(rp, overrides, duplicate):
    params, _ = authorize_params(rp, **{k: _clean(v) for k, v in overrides.items()})
    query = list(params.items())
    if duplicate and duplicate in params:
        query.append((duplicate, params[duplicate]))
    response = DjangoClient().get("/oidc/authorize", query)
    assert response.status_code in (302, 400), response.status_code
    if response.status_code == 302:
        location = response["Location"]
        # Either an error for the registered URI, or the aidant's login page.
        assert location.startswith(REDIRECT_URI + "?") or location.startswith(
            "/connexion/"
        ), location
        if location.startswith(REDIRECT_URI):
            assert "error=" in location
    assert not AuthorizationCode.objects.exists()


TOKEN_FIELDS = (
    "grant_type",
    "code",
    "redirect_uri",
    "code_verifier",
    "client_id",
    "client_secret",
    "client_assertion",
)


def _b64(value) -> str:
    import json

    raw = json.dumps(value).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
jwt_like = st.builds(
    lambda header, claims, sig: f"{_b64(header)}.{_b64(claims)}.{sig}",
    st.fixed_dictionaries({"alg": st.sampled_from(["ES256", "HS256", "none", "x"])}),
    st.dictionaries(
        st.sampled_from(["iss", "sub", "aud", "exp", "jti", "iat"]), json_values
    ),
    st.text(alphabet="abcAB-_", max_size=20),
)


@SETTINGS
@given(
    fields=st.dictionaries(
        st.sampled_from(TOKEN_FIELDS), st.one_of(text, jwt_like), max_size=6
    ),
    auth=st.one_of(
        st.none(),
        text,
        st.binary(max_size=60).map(lambda b: "Basic " + base64.b64encode(b).decode()),
        st.just("valid"),
    ),
)
def test_token_never_fails_with_a_500(rp, fields, auth):
    data = {k: _clean(v) for k, v in fields.items()}
    if "client_assertion" in data:
        data["client_assertion_type"] = (
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
        )
    headers = {}
    if auth == "valid":
        raw = f"{rp.client_id}:{SECRET}".encode()
        headers["HTTP_AUTHORIZATION"] = "Basic " + base64.b64encode(raw).decode()
    elif auth:
        headers["HTTP_AUTHORIZATION"] = _clean(auth).replace("\n", " ")
    response = DjangoClient().post("/oidc/token", data, **headers)
    assert response.status_code in (400, 401), response.status_code
    assert response.json()["error"] in {
        "invalid_request",
        "invalid_client",
        "invalid_grant",
        "unsupported_grant_type",
        "unauthorized_client",
    }
    assert not Token.objects.exists()


@SETTINGS
@given(token=text, method=st.sampled_from(["get", "post"]))
def test_userinfo_never_fails_with_a_500(db, token, method):
    header = "Bearer " + _clean(token).replace("\n", " ").replace("\r", " ")
    response = getattr(DjangoClient(), method)(
        "/oidc/userinfo", HTTP_AUTHORIZATION=header
    )
    assert response.status_code == 401


@SETTINGS
@given(
    usager=st.one_of(st.none(), text, st.uuids().map(str)),
    demarche=st.one_of(st.none(), text, st.sampled_from(["social", "papiers"])),
    page=st.one_of(st.none(), text),
)
def test_the_aidants_pick_never_fails_with_a_500(
    aidant, rp, usager_with_mandat, usager, demarche, page
):
    from tests.conftest import verified_client

    browser = verified_client(DjangoClient(), aidant)
    params, _ = authorize_params(rp)
    extra = {"relais_usager": usager, "relais_after": page, "relais_q": page}
    query = dict(params, **{k: _clean(v) for k, v in extra.items() if v is not None})
    listing = browser.get("/oidc/authorize", query)
    assert listing.status_code in (200, 404)
    form = dict(params, relais_usager=_clean(usager or ""))
    form["relais_demarche"] = _clean(demarche or "")
    answer = browser.post("/oidc/authorize", form)
    assert answer.status_code in (302, 400, 404)
    if answer.status_code == 302:
        assert answer["Location"].startswith(REDIRECT_URI + "?code=")
