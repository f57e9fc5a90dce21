"""Who is at this terminal, as recorded with the decisions they make."""

from __future__ import annotations

import getpass


def who(via: str = "tenure cli") -> str | None:
    """`alice (tenure cli)`: who decided a permission, for the session's history."""
    try:
        return f"{getpass.getuser()} ({via})"
    except Exception:  # no user name in this environment
        return None
