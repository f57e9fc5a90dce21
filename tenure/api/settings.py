"""Whom `tenure serve` trusts, from the environment: TENURE_JWT_JWKS (a JWKS file path or
URL), TENURE_JWT_ISSUER, TENURE_JWT_AUDIENCE; without a JWKS, the local development key
(TENURE_DEV_KEY, default api-dev-key.pem in the user data directory). And which other web
origins may call it (TENURE_API_CORS_ORIGINS)."""

from __future__ import annotations

import os
from pathlib import Path

from tenure.api.auth import TokenVerifier
from tenure.api.keys import DEV_AUDIENCE, DEV_ISSUER, DevKey, KeySet, default_dev_key_path

SCOPES = ("sessions:read", "sessions:write", "approvals:write", "admin")


class AuthSettingsError(ValueError):
    """The environment does not say whom to trust, or says it wrong."""


def dev_key_path() -> Path:
    configured = os.environ.get("TENURE_DEV_KEY")
    return Path(configured).expanduser() if configured else default_dev_key_path()


def uses_jwks() -> bool:
    return bool(os.environ.get("TENURE_JWT_JWKS"))


def issuer_and_audience() -> tuple[str, str]:
    """The `iss` and `aud` tokens must carry; a JWKS needs both set, the development key
    has defaults."""
    issuer = os.environ.get("TENURE_JWT_ISSUER")
    audience = os.environ.get("TENURE_JWT_AUDIENCE")
    if uses_jwks() and not (issuer and audience):
        raise AuthSettingsError(
            "TENURE_JWT_JWKS needs TENURE_JWT_ISSUER and TENURE_JWT_AUDIENCE too: tokens are "
            "checked for both"
        )
    return issuer or DEV_ISSUER, audience or DEV_AUDIENCE


def verifier_from_env() -> TokenVerifier:
    issuer, audience = issuer_and_audience()
    jwks = os.environ.get("TENURE_JWT_JWKS")
    keys = KeySet(jwks) if jwks else DevKey.load_or_create(dev_key_path())
    return TokenVerifier(keys, issuer, audience)


def cors_origins() -> list[str]:
    """TENURE_API_CORS_ORIGINS: the web origins, comma-separated, whose pages may call the
    API from a browser (none by default: only the API's own page)."""
    return [
        o.strip() for o in os.environ.get("TENURE_API_CORS_ORIGINS", "").split(",") if o.strip()
    ]


def dev_key() -> DevKey:
    return DevKey.load_or_create(dev_key_path())
