"""`python -m tenure.cli`: the `tenure` command."""

from tenure.cli import app

app()
