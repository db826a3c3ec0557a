"""The access log without secrets: company tokens in paths are replaced by ``[token]``.

A company's preferences, unsubscribe, answer and calendar links carry its credential in the path
(``/preferences/<token>``, ``/u/<token>``, ``/answer/<token>``, ``/calendar/company/<token>.ics``); an access log that
kept them would let anyone who reads the log act as the company. ``RedactTokens`` rewrites the path
of uvicorn's access records before any handler formats them; ``uvicorn_log_config()`` is uvicorn's
own logging configuration with that filter on the access handler (``tenderwatch serve`` uses it).
"""

from __future__ import annotations

import copy
import logging
import re
from typing import Any

TOKEN_PATHS = re.compile(r"(/preferences/|/u/|/answer/|/calendar/company/)[^/?#\s]+?(\.ics)?(?=$|[/?#\s])")


def redact(path: str) -> str:
    """``path`` with every company token replaced by ``[token]``."""
    return TOKEN_PATHS.sub(lambda m: f"{m.group(1)}[token]{m.group(2) or ''}", path)


class RedactTokens(logging.Filter):
    """Rewrites the request path of uvicorn access records (args: client, method, path, version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact(args[2]), *args[3:])
        elif isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's default logging configuration, with ``RedactTokens`` on the access log handler."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact_tokens"] = {"()": RedactTokens}
    config["handlers"]["access"].setdefault("filters", []).append("redact_tokens")
    return config
