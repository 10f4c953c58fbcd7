"""Logging in, token rotation and reuse detection, API keys, throttling, secret checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
from pydantic import ValidationError

from adlens.core import security
from adlens.settings import Settings

from .api_support import PASSWORD, SECRET, Api, api, api_settings, app_db_url, build_api

__all__ = ["api", "app_db_url"]


def problem(response) -> dict:  # type: ignore[no-untyped-def]
    body = dict(response.json())
    body.pop("request_id")
    return body


def test_login_returns_a_token_pair_and_me(api: Api) -> None:
    api.user("ana", "analyst")
    response = api.client.post("/auth/token", json={"username": "ana", "password": PASSWORD})
    body = response.json()
    assert response.status_code == 200
    assert sorted(body) == ["access_token", "expires_in", "refresh_token", "token_type"]
    assert (body["token_type"], body["expires_in"]) == ("bearer", 15 * 60)
    claims = jwt.decode(body["access_token"], SECRET, algorithms=["HS256"])
    assert sorted(claims) == ["exp", "iat", "sub", "typ", "ws"]
    me = api.client.get("/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json() == {
        "username": "ana",
        "role": "analyst",
        "workspace": "default",
        "currency": "USD",
        "locale": "en-US",
        "kind": "user",
        "scopes": ["metrics", "query", "read", "upload"],
    }


def test_unknown_user_and_wrong_password_get_the_same_answer(api: Api) -> None:
    api.user("ana")
    wrong = api.client.post("/auth/token", json={"username": "ana", "password": "nope-nope"})
    unknown = api.client.post("/auth/token", json={"username": "bob", "password": "nope-nope"})
    assert (wrong.status_code, unknown.status_code) == (401, 401)
    assert (
        problem(wrong)
        == problem(unknown)
        == {
            "type": "https://adlens.dev/errors/invalid_credentials",
            "title": "invalid credentials",
            "status": 401,
            "detail": "incorrect username or password",
            "code": "invalid_credentials",
        }
    )
    assert wrong.headers["content-type"] == "application/problem+json"


def test_refresh_rotates_and_reuse_revokes_the_family(api: Api) -> None:
    api.user("ana")
    first = api.client.post("/auth/token", json={"username": "ana", "password": PASSWORD}).json()
    second = api.client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    assert second.json()["refresh_token"] != first["refresh_token"]
    # the spent token again: refused, and the rotated one dies with it
    reused = api.client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert (reused.status_code, reused.json()["code"]) == (401, "token_reused")
    after = api.client.post("/auth/refresh", json={"refresh_token": second.json()["refresh_token"]})
    assert (after.status_code, after.json()["code"]) == (401, "token_reused")


def test_logout_revokes_the_refresh_token(api: Api) -> None:
    api.user("ana")
    pair = api.client.post("/auth/token", json={"username": "ana", "password": PASSWORD}).json()
    assert (
        api.client.post("/auth/logout", json={"refresh_token": pair["refresh_token"]}).status_code
        == 204
    )
    again = api.client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert again.status_code == 401


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(
            lambda c: {**c, "exp": datetime.now(UTC) - timedelta(minutes=1)}, id="expired"
        ),
        pytest.param(lambda c: {k: v for k, v in c.items() if k != "sub"}, id="no-sub"),
        pytest.param(lambda c: {k: v for k, v in c.items() if k != "iat"}, id="no-iat"),
        pytest.param(lambda c: {**c, "typ": "refresh"}, id="wrong-type"),
    ],
)
def test_bad_access_tokens_are_refused(api: Api, mutate) -> None:  # type: ignore[no-untyped-def]
    api.user("ana")
    claims = {
        "sub": "1",
        "iat": datetime.now(UTC),
        "exp": datetime.now(UTC) + timedelta(minutes=5),
        "typ": "access",
    }
    token = jwt.encode(mutate(claims), SECRET, algorithm="HS256")
    response = api.client.get("/me", headers={"Authorization": f"Bearer {token}"})
    assert (response.status_code, response.json()["code"]) == (401, "invalid_token")


def test_algorithm_is_pinned(api: Api) -> None:
    api.user("ana")
    claims = {
        "sub": "1",
        "iat": datetime.now(UTC),
        "exp": datetime.now(UTC) + timedelta(minutes=5),
        "typ": "access",
    }
    none_token = jwt.encode(claims, None, algorithm="none")
    other_key = jwt.encode(claims, "x" * 40, algorithm="HS256")
    for token in (none_token, other_key):
        response = api.client.get("/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401


def test_api_keys_work_by_both_headers_and_stop_when_revoked(api: Api) -> None:
    admin = api.user("root", "admin")
    created = api.client.post("/keys", json={"name": "ci", "role": "viewer"}, headers=admin)
    assert created.status_code == 201
    key = created.json()["key"]
    assert key.startswith(f"adl_{created.json()['key_id']}_")
    for headers in ({"X-API-Key": key}, {"Authorization": f"Bearer {key}"}):
        me = api.client.get("/me", headers=headers).json()
        assert (me["username"], me["role"], me["kind"]) == (
            f"key:{created.json()['key_id']}",
            "viewer",
            "key",
        )
    listed = api.client.get("/keys", headers=admin).json()
    assert [k["key_id"] for k in listed] == [created.json()["key_id"]]
    assert "key" not in listed[0] and "digest" not in listed[0]
    api.client.delete(f"/keys/{created.json()['key_id']}", headers=admin)
    assert api.client.get("/me", headers={"X-API-Key": key}).status_code == 401


def test_key_scopes_narrow_and_expiry_ends_a_key(api: Api) -> None:
    admin = api.user("root", "admin")
    narrow = api.client.post(
        "/keys", json={"name": "read", "role": "analyst", "scopes": ["read"]}, headers=admin
    ).json()["key"]
    assert api.client.get("/ingests", headers={"X-API-Key": narrow}).status_code == 200
    refused = api.client.post(
        "/v1/load", json={"measures": ["spend"]}, headers={"X-API-Key": narrow}
    )
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    too_wide = api.client.post(
        "/keys", json={"name": "x", "role": "viewer", "scopes": ["upload"]}, headers=admin
    )
    assert (too_wide.status_code, too_wide.json()["code"]) == (400, "invalid_input")
    from adlens.appdb.models import ApiKey

    key = api.key("viewer")
    with api.services.app_db.session() as session:
        row = session.query(ApiKey).filter_by(key_id=security.split_api_key(key)[0]).one()
        row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    assert api.client.get("/me", headers={"X-API-Key": key}).status_code == 401


def test_failed_logins_are_throttled_per_account_and_ip(tmp_path: Path, app_db_url: str) -> None:
    settings = api_settings(tmp_path, app_db_url, login_max_failures=3)
    for running in build_api(settings):
        running.user("ana")
        codes = [
            running.client.post(
                "/auth/token", json={"username": "ana", "password": "wrong-pass"}
            ).status_code
            for _ in range(4)
        ]
        assert codes == [401, 401, 401, 429]
        locked = running.client.post("/auth/token", json={"username": "ana", "password": PASSWORD})
        assert locked.status_code == 429 and int(locked.headers["Retry-After"]) >= 1
        # other accounts from the same address: 15 failures per IP (5 x 3), then throttled
        others = [
            running.client.post(
                "/auth/token", json={"username": f"user{i}", "password": "x" * 9}
            ).status_code
            for i in range(13)
        ]
        assert others == [401] * 12 + [429]


@pytest.mark.parametrize("key", ["change-me-development-only-secret-key", "short-key"])
def test_production_refuses_a_default_or_short_secret(key: str) -> None:
    with pytest.raises(ValidationError, match="SECRET_KEY must be set"):
        Settings(app_env="production", secret_key=key)
    assert Settings(app_env="production", secret_key="k" * 32).app_env == "production"


def test_passwords_are_argon2id_with_asvs_parameters(api: Api) -> None:
    api.user("ana")
    from adlens.appdb.models import User

    with api.services.app_db.session() as session:
        stored = session.query(User).filter_by(username="ana").one().password_hash
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert PASSWORD not in stored
