"""`tenure serve` (the HTTP API and its web page) and `tenure token` (a development token)."""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import timedelta
from typing import Annotated

import typer
import uvicorn

from tenure.api import create_app
from tenure.api.keys import DEV_AUDIENCE, DEV_ISSUER
from tenure.api.settings import (
    SCOPES,
    AuthSettingsError,
    cors_origins,
    dev_key,
    dev_key_path,
    issuer_and_audience,
    uses_jwks,
    verifier_from_env,
)
from tenure.cli import _connect, _fail, app, err, out
from tenure.client import AgentClient

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
SHUTDOWN_SECONDS = 5
_TOKEN_IN_QUERY = re.compile(r"(access_token=)[^&\s]*")


class _HideTokens(logging.Filter):
    """Keeps `?access_token=` (a browser's EventSource) out of the access log."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _TOKEN_IN_QUERY.sub(r"\1***", a) if isinstance(a, str) else a for a in record.args
            )
        return True


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="The address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="The port to listen on.")] = 8800,
    insecure_dev: Annotated[
        bool,
        typer.Option(
            "--insecure-dev",
            help="No tokens at all: everyone is an admin. On 127.0.0.1 only.",
        ),
    ] = False,
) -> None:
    """The HTTP API and its web page, for TEMPORAL_ADDRESS, until Ctrl-C.

    Tokens are verified with the keys of TENURE_JWT_JWKS (a file or URL), for
    TENURE_JWT_ISSUER and TENURE_JWT_AUDIENCE; without a JWKS, with the local development
    key of `tenure token`.
    """
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if insecure_dev:
        if host not in LOOPBACK:
            _fail("--insecure-dev serves without any auth: only on 127.0.0.1 (--host).", code=2)
        err.print(
            "[bold red]WARNING: --insecure-dev: NO AUTHENTICATION. Anyone who can reach "
            f"{host}:{port} is an admin of every session. Never use this beyond "
            "your own machine.[/]"
        )
        verifier = None
    else:
        try:
            verifier = verifier_from_env()
        except (AuthSettingsError, OSError, ValueError) as e:
            _fail(str(e), code=2)
        if not uses_jwks():
            err.print(
                f"Trusting the local development key ({dev_key_path()}): mint tokens "
                "with `tenure token`. Set TENURE_JWT_JWKS for real users."
            )

    async def go() -> None:
        client = AgentClient(await _connect())
        config = uvicorn.Config(
            create_app(client, verifier, cors_origins=cors_origins()),
            host=host,
            port=port,
            proxy_headers=True,
            log_level="info",
            # On Ctrl-C or SIGTERM, requests still open after this long are cut (a
            # browser's event stream reconnects, to another replica if need be).
            timeout_graceful_shutdown=SHUTDOWN_SECONDS,
        )
        server = uvicorn.Server(config)  # its Config sets up uvicorn's loggers: filter after
        logging.getLogger("uvicorn.access").addFilter(_HideTokens())
        await server.serve()

    out.print(f"tenure API on http://{host}:{port}/ (OpenAPI: /openapi.json)")
    asyncio.run(go())


@app.command()
def token(
    sub: Annotated[
        str, typer.Option(help="Who the token speaks for (it owns the sessions it starts).")
    ],
    scope: Annotated[
        str,
        typer.Option(
            help=f"Space-separated scopes: {', '.join(SCOPES)}.",
        ),
    ] = "sessions:read sessions:write approvals:write",
    hours: Annotated[float, typer.Option(help="How long the token holds.")] = 12.0,
) -> None:
    """Mint a token with the local development key (for development only: `tenure serve`
    trusts it only when TENURE_JWT_JWKS is not set)."""
    unknown = [s for s in scope.split() if s not in SCOPES]
    if unknown:
        _fail(f"Unknown scope {unknown[0]!r}: pick from {', '.join(SCOPES)}.", code=2)
    if not sub.strip() or hours <= 0:
        _fail("--sub must name someone and --hours be positive.", code=2)
    if uses_jwks():
        err.print("TENURE_JWT_JWKS is set: `tenure serve` will not trust this development token.")
    issuer, audience = (DEV_ISSUER, DEV_AUDIENCE) if uses_jwks() else issuer_and_audience()
    minted = dev_key().mint(
        sub, " ".join(scope.split()), ttl=timedelta(hours=hours), issuer=issuer, audience=audience
    )
    print(minted)
