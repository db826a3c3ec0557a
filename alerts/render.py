"""The Jinja2 environment of every mail: one ``.txt.j2``/``.html.j2`` pair per kind of mail.

HTML templates are autoescaped (scraped titles may hold ``<script>``); text templates are not,
because escaping would put ``&amp;`` into plain text, and they only ever reach a text/plain part.
``StrictUndefined`` turns a misspelt variable into an error in the tests rather than a blank in a
mail. Templates are ours, never user-supplied, so no sandbox is needed.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("alerts", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html.j2", "html"), default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    return env


def render_pair(name: str, context: dict[str, Any]) -> tuple[str, str]:
    """Render ``<name>.txt.j2`` and ``<name>.html.j2`` with the same context: (text, html)."""
    env = environment()
    return env.get_template(f"{name}.txt.j2").render(context), env.get_template(f"{name}.html.j2").render(context)
