"""RS256 and EdDSA bearer tokens verified with `api.auth.public_keys`: they work against a served
API, and the key type alone fixes the algorithm (no algorithm confusion, no `none`, no RS256
without a configured key, the same lifetime checks as HS256)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import stat
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from legion.app.security.asymmetric_keys import load_private_key, load_public_keys
from legion.app.security.jwt_tokens import TokenError, TokenVerifier, mint
from legion.app.security.signing_key import token_keys
from legion.core.errors import ConfigError
from legion.core.settings import Settings, load_settings

from .conftest import cli, cli_json

TARGET = "/api/v1/extensions/http"


def b64(data: bytes | dict[str, Any]) -> str:
    raw = json.dumps(data).encode() if isinstance(data, dict) else data
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def claims(**over: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {"sub": "alice", "iss": "legion", "iat": now, "exp": now + 600, "jti": "a" * 32}
    return {**base, "roles": ["admin"], **over}


def hs256_with(secret: bytes, payload: dict[str, Any]) -> str:
    """An HS256 token signed with any bytes (pyjwt itself refuses PEM keys as HMAC secrets)."""
    signing_input = f"{b64({'alg': 'HS256', 'typ': 'JWT'})}.{b64(payload)}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(mac)}"


def public_pem(private: Any) -> bytes:
    pem: bytes = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pem


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def other_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def auth(**extra: Any) -> dict[str, Any]:
    return {"auth": {"loopback_open": False, **extra}}


def test_rs256_and_eddsa_tokens_work_and_forgeries_do_not(
    api: Callable[..., Any], legion_home: Path, rsa_key: rsa.RSAPrivateKey
) -> None:
    keys = legion_home / "keys-out"
    made = cli_json("auth", "keypair", "--type", "ed25519", "--out", str(keys))
    private_path, public_path = Path(made["private_key"]), Path(made["public_key"])
    assert made["algorithm"] == "EdDSA"
    assert stat.S_IMODE(private_path.stat().st_mode) == 0o600
    assert b"PRIVATE KEY" not in public_path.read_bytes()
    rsa_pub = legion_home / "rsa.pub.pem"
    rsa_pub.write_bytes(public_pem(rsa_key))
    public_keys = [str(rsa_pub), {"key": public_path.read_text(), "kid": "ed-1"}]

    with api(api=auth(public_keys=public_keys)) as url:
        target = f"{url}{TARGET}"
        minted = cli_json(
            "auth", "token", "--subject", "erin", "--role", "observer",
            "--private-key", str(private_path), "--kid", "ed-1",
        )  # fmt: skip
        assert minted["algorithm"] == "EdDSA" and jwt.get_unverified_header(minted["token"]) == {
            "alg": "EdDSA", "kid": "ed-1", "typ": "JWT"
        }  # fmt: skip
        assert httpx.get(target, headers=bearer(minted["token"])).status_code == 200
        denied = httpx.post(f"{url}/api/v1/tasks", headers=bearer(minted["token"]))
        assert denied.status_code == 403  # RBAC applies to the token's roles as for HS256
        assert denied.json()["error"]["details"]["principal"] == "user:erin"

        rs256, _ = mint(rsa_key, subject="rita", roles=["admin"], ttl=60, issuer="legion")
        assert jwt.get_unverified_header(rs256)["alg"] == "RS256"
        ok = httpx.post(f"{url}/api/v1/tasks", headers=bearer(rs256))
        assert ok.status_code == 201
        hs256, _ = mint(
            token_keys(load_settings({}))[0], subject="h", roles=["admin"], ttl=60, issuer="legion"
        )
        assert httpx.get(target, headers=bearer(hs256)).status_code == 200  # HS256 still works

        ed_private = load_private_key(private_path)
        past = int(time.time()) - 3600
        for name, token, why in [
            ("RS256 expired", jwt.encode(claims(iat=past, exp=past + 60), rsa_key, "RS256"),
             "expired"),
            ("EdDSA from the future", jwt.encode(claims(iat=int(time.time()) + 3600),
             ed_private, "EdDSA"), "future"),
            ("RS256 without jti", jwt.encode({k: v for k, v in claims().items() if k != "jti"},
             rsa_key, "RS256"), "jti"),
            ("EdDSA other issuer", jwt.encode(claims(iss="elsewhere"), ed_private, "EdDSA"),
             "issuer"),
        ]:  # fmt: skip
            response = httpx.get(target, headers=bearer(token))
            assert response.status_code == 401, name
            assert why in response.json()["error"]["message"], name


def test_wrong_keys_algorithm_confusion_and_none_are_refused(
    api: Callable[..., Any],
    legion_home: Path,
    rsa_key: rsa.RSAPrivateKey,
    other_rsa_key: rsa.RSAPrivateKey,
) -> None:
    ed_key = ed25519.Ed25519PrivateKey.generate()
    rsa_pem, ed_pem = public_pem(rsa_key), public_pem(ed_key)
    public_keys = [{"key": rsa_pem.decode(), "kid": "rsa-1"}, ed_pem.decode()]
    ed_raw = ed_key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    rsa_der = rsa_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    good_ed = jwt.encode(claims(), ed_key, "EdDSA")
    head, body, sig = jwt.encode(claims(), rsa_key, "RS256").split(".")
    _, ed_body, ed_sig = good_ed.split(".")

    with api(api=auth(public_keys=public_keys)) as url:
        target = f"{url}{TARGET}"
        assert httpx.get(target, headers=bearer(good_ed)).status_code == 200
        for name, token in [
            # The classic confusion: HS256 "signed" with the verifier's public key as secret.
            ("HS256 with the RSA public PEM as secret", hs256_with(rsa_pem, claims())),
            ("HS256 with the RSA PEM, no trailing newline", hs256_with(rsa_pem.strip(), claims())),
            ("HS256 with the RSA public DER as secret", hs256_with(rsa_der, claims())),
            ("HS256 with the Ed25519 public PEM as secret", hs256_with(ed_pem, claims())),
            ("HS256 with the raw Ed25519 key as secret", hs256_with(ed_raw, claims())),
            # A valid signature relabelled with another key type's algorithm.
            ("RS256 signature relabelled EdDSA",
             ".".join([b64({"alg": "EdDSA", "typ": "JWT"}), body, sig])),
            ("EdDSA signature relabelled RS256",
             ".".join([b64({"alg": "RS256", "typ": "JWT"}), ed_body, ed_sig])),
            ("RS256 signature relabelled PS256",
             ".".join([b64({"alg": "PS256", "typ": "JWT"}), body, sig])),
            ("alg none", ".".join([b64({"alg": "none", "typ": "JWT"}), b64(claims()), ""])),
            ("alg None", ".".join([b64({"alg": "None", "typ": "JWT"}), b64(claims()), ""])),
            ("alg as a list", ".".join([b64({"alg": ["RS256"], "typ": "JWT"}), body, sig])),
            ("RS256 by another RSA key", jwt.encode(claims(), other_rsa_key, "RS256")),
            ("RS256 by another key naming the configured kid",
             jwt.encode(claims(), other_rsa_key, "RS256", headers={"kid": "rsa-1"})),
            ("EdDSA by another Ed25519 key",
             jwt.encode(claims(), ed25519.Ed25519PrivateKey.generate(), "EdDSA")),
            ("RS256 claims tampered",
             ".".join([head, b64(claims(sub="mallory")), sig])),
        ]:  # fmt: skip
            response = httpx.get(target, headers=bearer(token))
            assert response.status_code == 401, name
            assert token not in response.text, name


def test_rs256_needs_a_configured_public_key(
    api: Callable[..., Any], rsa_key: rsa.RSAPrivateKey
) -> None:
    token = jwt.encode(claims(), rsa_key, "RS256")
    with api() as url:
        response = httpx.get(f"{url}{TARGET}", headers=bearer(token))
        assert response.status_code == 401
        assert response.json()["error"]["message"] == (
            "token algorithm is not accepted (accepted: HS256)"
        )
        forged = hs256_with(public_pem(rsa_key), claims())
        assert httpx.get(f"{url}{TARGET}", headers=bearer(forged)).status_code == 401


def test_the_key_type_fixes_the_algorithm_in_the_verifier(rsa_key: rsa.RSAPrivateKey) -> None:
    ed_key = ed25519.Ed25519PrivateKey.generate()
    loaded = load_public_keys([public_pem(rsa_key).decode(), public_pem(ed_key).decode()])
    assert [k.algorithm for k in loaded] == ["RS256", "EdDSA"]
    verifier = TokenVerifier(
        (b"k" * 32,), issuer="legion", skew=5, max_ttl=3600, public_keys=loaded
    )
    assert verifier.accepted == "HS256, RS256, EdDSA"
    now = time.time()
    for key in (rsa_key, ed_key, b"k" * 32):
        token, _ = mint(key, subject="a", roles=[], ttl=60, issuer="legion", now=now)
        assert verifier.verify(token, now=now).sub == "a"
        too_long, _ = mint(key, subject="a", roles=[], ttl=7200, issuer="legion", now=now)
        with pytest.raises(TokenError, match="lifetime"):
            verifier.verify(too_long, now=now)
        early, _ = mint(key, subject="a", roles=[], ttl=60, issuer="legion", now=now + 3)
        assert verifier.verify(early, now=now).sub == "a"  # within the skew, as for HS256
        late, _ = mint(key, subject="a", roles=[], ttl=60, issuer="legion", now=now + 30)
        with pytest.raises(TokenError, match="future"):
            verifier.verify(late, now=now)
    with pytest.raises(TokenError, match="not accepted"):
        verifier.verify(jwt.encode(claims(), b"k" * 64, "HS512"))
    with pytest.raises(TokenError, match="signature does not verify"):
        verifier.verify(hs256_with(public_pem(rsa_key), claims()))
    # Public keys cannot sign; only private keys and HMAC bytes mint.
    with pytest.raises(ValueError):
        mint(rsa_key.public_key(), subject="a", roles=[], ttl=60, issuer="legion")


def test_unusable_public_keys_are_config_errors(legion_home: Path) -> None:
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    private_pem = ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    for entry, why in [
        (str(legion_home / "missing.pem"), "cannot read"),
        (public_pem(weak).decode(), "2048"),
        (public_pem(ec_key).decode(), "RSA or Ed25519"),
        (private_pem.decode(), "private key"),
        ("-----BEGIN PUBLIC KEY-----\nnot base64\n-----END PUBLIC KEY-----", "not a usable"),
    ]:
        with pytest.raises(ConfigError, match=why):
            load_public_keys([entry])


def test_cli_refuses_public_keys_for_signing_and_never_overwrites(
    configure: Callable[..., Settings], legion_home: Path, rsa_key: rsa.RSAPrivateKey
) -> None:
    configure()
    public = legion_home / "rsa.pub.pem"
    public.write_bytes(public_pem(rsa_key))
    signing = cli("auth", "token", "--subject", "a", "--role", "admin",
                  "--private-key", str(public), check=False)  # fmt: skip
    assert signing.returncode == 2 and "not a usable private key" in signing.stderr
    (legion_home / "out").mkdir()
    (legion_home / "out" / "legion-rsa.pem").write_text("keep me")
    made = cli("auth", "keypair", "--type", "rsa", "--out", str(legion_home / "out"), check=False)
    assert made.returncode == 2 and "not overwriting" in made.stderr
    assert (legion_home / "out" / "legion-rsa.pem").read_text() == "keep me"
