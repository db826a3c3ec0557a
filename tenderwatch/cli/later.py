"""Commands whose capability belongs to a later issue: they say so and exit 2 rather than pretend.

Each issue that builds one removes it from here and registers the real command in its own module.
"""

from __future__ import annotations

# Every stub has been replaced by its real command (digest and notify: tenderwatch/cli/alerts.py).
