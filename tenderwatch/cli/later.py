"""Commands whose capability belongs to a later issue: they say so and exit 2 rather than pretend.

Each issue that builds one removes it from here and registers the real command in its own module.
"""

from __future__ import annotations

import typer

from tenderwatch.cli import app, not_yet

CONTEXT = {"allow_extra_args": True, "ignore_unknown_options": True}


@app.command("digest", context_settings=CONTEXT)
def digest(ctx: typer.Context) -> None:
    """Send the weekly digests (not yet implemented)."""
    not_yet("digest")


@app.command("notify", context_settings=CONTEXT)
def notify(ctx: typer.Context) -> None:
    """Send ILO notifications (not yet implemented)."""
    not_yet("notify")
