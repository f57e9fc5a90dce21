"""One readable line from a pydantic ValidationError, for the model or the log."""

from pydantic import ValidationError


def validation_problems(error: ValidationError) -> str:
    """`todos.0.status: Input should be 'pending', ...; header: String should have ...`"""
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'input'}: {e['msg']}" for e in error.errors()
    )
