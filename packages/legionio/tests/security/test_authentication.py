"""Credentials against a running server: none, API keys (and revoked ones), tokens of every
kind a forger might try (expired, tampered, `alg: none`, another algorithm)."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import jwt

from legion.app.security.signing_key import token_keys
from legion.core.settings import load_settings

from .conftest import cli, cli_json


def b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def claims(**over: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {"sub": "alice", "iss": "legion", "iat": now, "exp": now + 600, "jti": "a" * 32}
    base["roles"] = ["admin"]
    return {**base, **over}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_no_credentials_is_401_except_public_routes(api: Callable[..., Any]) -> None:
    with api() as url:
        assert httpx.get(f"{url}/api/health").status_code == 200
        for method, path in [
            ("GET", "/api/v1/extensions/http"),
            ("POST", "/api/v1/tasks"),
            ("GET", "/api/v1/undeclared"),
        ]:
            response = httpx.request(method, f"{url}{path}")
            assert response.status_code == 401, path
            body = response.json()
            assert body["error"]["code"] == "unauthorized"
            assert {"timestamp", "node"} <= set(body["meta"])
            assert response.headers["x-request-id"]


def test_loopback_open_lets_the_local_user_in_but_still_checks_presented_credentials(
    api: Callable[..., Any],
) -> None:
    with api(api={"auth": {"loopback_open": True}}) as url:
        assert httpx.get(f"{url}/api/v1/extensions/http").status_code == 200
        bad = httpx.get(f"{url}/api/v1/extensions/http", headers={"X-API-Key": "lgk_nope"})
        assert bad.status_code == 401


def test_api_keys_roles_and_revocation(
    api: Callable[..., Any], new_key: Callable[[str], dict[str, Any]]
) -> None:
    observer, worker = new_key("observer"), new_key("worker")
    with api() as url:
        as_observer = {"X-API-Key": observer["key"]}
        assert httpx.get(f"{url}/api/v1/extensions/http", headers=as_observer).status_code == 200
        denied = httpx.post(f"{url}/api/v1/tasks", headers=as_observer)
        assert denied.status_code == 403
        error = denied.json()["error"]
        assert error["code"] == "forbidden"
        assert error["details"]["principal"] == f"key:{observer['id']}"
        assert error["details"]["resource"] == "tasks/" and error["details"]["action"] == "create"
        ok = httpx.post(f"{url}/api/v1/tasks", headers={"X-API-Key": worker["key"]})
        assert ok.status_code == 201 and ok.json()["data"] == {"id": "t1"}

        wrong = observer["key"][:-4] + "AAAA"
        assert (
            httpx.get(f"{url}/api/v1/extensions/x", headers={"X-API-Key": wrong}).status_code == 401
        )
        cli("auth", "key", "revoke", observer["id"])
        revoked = httpx.get(f"{url}/api/v1/extensions/http", headers=as_observer)
        assert revoked.status_code == 401
        assert "revoked" in revoked.json()["error"]["message"]
    listed = {k["id"]: k for k in cli_json("auth", "key", "list")}
    assert listed[observer["id"]]["active"] is False and "key" not in listed[observer["id"]]


def test_minted_tokens_work_and_forged_ones_do_not(api: Callable[..., Any]) -> None:
    with api() as url:
        minted = cli_json("auth", "token", "--subject", "bob", "--role", "observer", "--ttl", "60")
        target = f"{url}/api/v1/extensions/http"
        assert httpx.get(target, headers=bearer(minted["token"])).status_code == 200
        assert httpx.post(f"{url}/api/v1/tasks", headers=bearer(minted["token"])).status_code == 403

        key = token_keys(load_settings({}))[0]
        good = jwt.encode(claims(), key, algorithm="HS256")
        assert httpx.get(target, headers=bearer(good)).status_code == 200

        past = int(time.time()) - 3600
        expired = jwt.encode(claims(iat=past, exp=past + 60), key, algorithm="HS256")
        head, _body, sig = good.split(".")
        tampered = ".".join([head, b64(claims(roles=["admin"], sub="mallory")), sig])
        alg_none = ".".join([b64({"alg": "none", "typ": "JWT"}), b64(claims()), ""])
        hs512 = jwt.encode(claims(), key * 2, algorithm="HS512")
        other_key = jwt.encode(claims(), b"x" * 32, algorithm="HS256")
        no_jti = jwt.encode({k: v for k, v in claims().items() if k != "jti"}, key, "HS256")
        future = jwt.encode(claims(iat=int(time.time()) + 3600), key, algorithm="HS256")
        for name, token in [
            ("expired", expired),
            ("tampered", tampered),
            ("alg none", alg_none),
            ("wrong algorithm", hs512),
            ("wrong key", other_key),
            ("no jti", no_jti),
            ("issued in the future", future),
            ("garbage", "not-a-token"),
        ]:
            response = httpx.get(target, headers=bearer(token))
            assert response.status_code == 401, name
            assert token not in response.text
        assert "expired" in httpx.get(target, headers=bearer(expired)).json()["error"]["message"]


def test_bad_cli_input_exits_2() -> None:
    assert (
        cli("auth", "key", "create", "--name", "x", "--role", "nope", check=False).returncode == 2
    )
    assert cli("auth", "token", "--subject", "a b", "--role", "admin", check=False).returncode == 2
    assert cli("auth", "key", "revoke", "missing", check=False).returncode == 2
    assert cli("audit", "list", "--since", "yesterday-ish", check=False).returncode == 2
