"""The crawl's ``Ingestor``, opened when the first record arrives rather than when the crawl starts.

An ingestor's classifier takes seconds of CPU and hundreds of MB to build (the word lists of six
languages). A crawl whose site is down stores nothing, so it never builds one and fails in the
time its requests take; a crawl that does store builds it in a worker thread, so the reactor goes
on downloading meanwhile.
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import Engine

from pipeline.classify import Classifier
from pipeline.ingest import Ingestor
from tenderwatch.config import Config


class LazyIngestor:
    """``await lazy.get()`` opens the ingestor once (every caller meanwhile waits for the same one); ``close()``."""

    def __init__(self, engine: Engine, config: Config, **options: Any) -> None:
        self.engine, self.config, self.options = engine, config, options
        self.ingestor: Ingestor | None = None
        self._classifier: asyncio.Future[Classifier] | None = None

    async def get(self) -> Ingestor:
        if self.ingestor is None:
            if self._classifier is None:
                self._classifier = asyncio.ensure_future(asyncio.to_thread(Classifier.for_config, self.config))
            classifier = await self._classifier
            if self.ingestor is None:
                self.ingestor = Ingestor(self.engine, self.config, classifier=classifier, **self.options)
                self.ingestor.__enter__()
        return self.ingestor

    def close(self) -> None:
        """Commit what was stored (nothing to do when no record ever came)."""
        if self.ingestor is not None:
            self.ingestor.__exit__(None, None, None)
