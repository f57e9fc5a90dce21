"""The custom search attributes a session keeps up to date, for listing the fleet."""

from __future__ import annotations

from temporalio.common import SearchAttributeKey

TENURE_STATE = SearchAttributeKey.for_keyword("TenureState")
"""The session's state kind: `idle`, `waiting_for_permission`, `done`, ..."""
TENURE_MODEL = SearchAttributeKey.for_keyword("TenureModel")
TENURE_PARENT = SearchAttributeKey.for_keyword("TenureParent")
"""The parent session's id, for a subagent."""
TENURE_TURNS = SearchAttributeKey.for_int("TenureTurns")
"""Model calls so far."""
TENURE_TITLE = SearchAttributeKey.for_keyword("TenureTitle")
"""The session's title (short: a given title, or the first line of its first prompt)."""
TENURE_OWNER = SearchAttributeKey.for_keyword("TenureOwner")
"""Who started the session (the HTTP API's caller)."""
TENURE_COST_USD = SearchAttributeKey.for_float("TenureCostUSD")
"""What the session's model calls cost so far, its finished subagents' included."""

SEARCH_ATTRIBUTES = {
    TENURE_STATE.name: "Keyword",
    TENURE_MODEL.name: "Keyword",
    TENURE_PARENT.name: "Keyword",
    TENURE_TURNS.name: "Int",
    TENURE_TITLE.name: "Keyword",
    TENURE_OWNER.name: "Keyword",
    TENURE_COST_USD.name: "Double",
}
"""Name to type, as `temporal operator search-attribute create` takes them."""
