"""The public keys that tokens are verified with: a JWKS (file or URL) in production, or
the local development key that `tenure token` signs with."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Protocol

import httpx
import jwt
import platformdirs
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

log = logging.getLogger(__name__)

PUBLIC_KEY_TYPES = {"RSA", "EC", "OKP"}
"""Asymmetric keys only: a shared secret (`oct`) could sign tokens as well as check them."""
DEV_ISSUER = "tenure-dev"
DEV_AUDIENCE = "tenure"


class KeyUnavailableError(Exception):
    """The key set cannot be read (and none is cached): no token can be verified now."""


class KeySource(Protocol):
    async def key(self, kid: str | None) -> jwt.PyJWK:
        """The public key with id `kid` (or the only one, if the token names none);
        jwt.InvalidTokenError when there is no such key."""
        ...


def _usable(keys: list[jwt.PyJWK]) -> list[jwt.PyJWK]:
    return [k for k in keys if k.key_type in PUBLIC_KEY_TYPES and k.public_key_use in (None, "sig")]


def _pick(keys: list[jwt.PyJWK], kid: str | None) -> jwt.PyJWK | None:
    if kid is None:
        return keys[0] if len(keys) == 1 else None
    return next((k for k in keys if k.key_id == kid), None)


class KeySet:
    """A JWKS from a file path or an http(s) URL (env TENURE_JWT_JWKS), cached: read again
    after `max_age`, or when a token names a key it lacks (a rotation), but not more
    often than every `min_refresh` seconds."""

    def __init__(self, source: str, *, max_age: float = 300.0, min_refresh: float = 10.0) -> None:
        self.source = source
        self.max_age = max_age
        self.min_refresh = min_refresh
        self._keys: list[jwt.PyJWK] = []
        self._loaded_at: float | None = None
        self._lock = asyncio.Lock()

    async def key(self, kid: str | None) -> jwt.PyJWK:
        now = time.monotonic()
        stale = self._loaded_at is None or now - self._loaded_at > self.max_age
        found = None if stale else _pick(self._keys, kid)
        if found is None and (stale or now - (self._loaded_at or 0) >= self.min_refresh):
            await self._reload()
            found = _pick(self._keys, kid)
        if found is None:
            raise jwt.InvalidTokenError(
                f"no key {kid!r} in the key set"
                if kid
                else "the token names no key (kid) and the key set has several"
            )
        return found

    async def _reload(self) -> None:
        seen = self._loaded_at
        async with self._lock:
            if self._loaded_at != seen:
                return  # read meanwhile, for another request
            try:
                data = await self._read()
                keys = _usable(jwt.PyJWKSet.from_dict(data).keys)
            except (OSError, httpx.HTTPError, ValueError, jwt.PyJWKError, jwt.PyJWKSetError) as e:
                if not self._keys:
                    raise KeyUnavailableError(f"cannot read the key set {self.source}: {e}") from e
                log.warning(
                    "Cannot read the key set %s, keeping the cached keys: %s", self.source, e
                )
                keys = self._keys
            self._keys, self._loaded_at = keys, time.monotonic()

    async def _read(self) -> dict[str, Any]:
        if self.source.startswith(("http://", "https://")):
            async with httpx.AsyncClient(timeout=10) as http:
                response = await http.get(self.source)
                response.raise_for_status()
                data: Any = response.json()
        else:
            data = json.loads(Path(self.source).expanduser().read_text())
        if not isinstance(data, dict):
            raise ValueError("a JWKS is a JSON object with `keys`")
        return data


def default_dev_key_path() -> Path:
    return Path(platformdirs.user_data_dir("tenure")) / "api-dev-key.pem"


class DevKey:
    """The local development key: an EC P-256 key in a file only its user can read.
    `tenure token` signs with it; `tenure serve` trusts it only when no JWKS is set."""

    def __init__(self, private_key: ec.EllipticCurvePrivateKey) -> None:
        self._private = private_key
        public = private_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.kid = "tenure-dev-" + hashlib.sha256(public).hexdigest()[:12]
        public_jwk: dict[str, Any] = json.loads(ECAlgorithm.to_jwk(private_key.public_key()))
        self.public_jwk = {**public_jwk, "kid": self.kid, "alg": "ES256", "use": "sig"}
        """The public key as a JWK (what a JWKS would list)."""
        self.jwk = jwt.PyJWK(self.public_jwk)

    @classmethod
    def generate(cls) -> DevKey:
        return cls(ec.generate_private_key(ec.SECP256R1()))

    @classmethod
    def load(cls, path: Path) -> DevKey:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ValueError(f"{path} does not hold an EC private key")
        return cls(key)

    @classmethod
    def load_or_create(cls, path: Path | None = None) -> DevKey:
        path = path or default_dev_key_path()
        if path.exists():
            return cls.load(path)
        created = cls.generate()
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = created._private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        # Written whole under another name, then linked in place: a process that starts
        # at the same moment reads either no key or the whole of one.
        draft = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(pem)
            os.link(draft, path)
        except FileExistsError:
            return cls.load(path)  # another process made it first
        finally:
            draft.unlink()
        return created

    async def key(self, kid: str | None) -> jwt.PyJWK:
        if kid not in (None, self.kid):
            raise jwt.InvalidTokenError(f"no key {kid!r}: only the development key is trusted")
        return self.jwk

    def mint(
        self,
        sub: str,
        scope: str,
        *,
        ttl: timedelta = timedelta(hours=12),
        issuer: str = DEV_ISSUER,
        audience: str = DEV_AUDIENCE,
        **claims: Any,
    ) -> str:
        """A signed token for `sub` with the space-separated `scope`."""
        now = datetime.now(timezone.utc)
        payload = {
            "iss": issuer,
            "aud": audience,
            "sub": sub,
            "scope": scope,
            "iat": now,
            "nbf": now,
            "exp": now + ttl,
            "jti": uuid.uuid4().hex,
            **claims,
        }
        return jwt.encode(payload, self._private, algorithm="ES256", headers={"kid": self.kid})
