"""The crawl's ``Ingestor``, opened when the first record arrives rather than when the crawl starts.

An ingestor's classifier costs CPU and memory to build (its rule tables, then each language's words).
A crawl whose site is down stores nothing, so it never builds one and fails in the time its requests
take; a crawl that does store builds it in a worker thread, so the reactor goes on downloading
meanwhile. The crawls of one process share one classifier (``SharedClassifier``): ``tenderwatch
crawl`` runs every enabled source at once, and eighteen classifiers built side by side (each
reading its tables and word entries, each keeping its words at its close) held the reactor long
enough for Scrapy's one-second timer on closing connections to fire after they had closed: a
``twisted AlreadyCalledError`` traceback in ``make demo`` one run in three.
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import Engine

from pipeline.classify import Classifier
from pipeline.ingest import Ingestor
from tenderwatch.config import Config


class SharedClassifier:
    """One classifier for the crawls of a process, built in a worker thread on first use; the runner
    keeps its words (``Classifier.keep_words``) once, when every crawl has ended."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.classifier: Classifier | None = None
        self._building: asyncio.Future[Classifier] | None = None

    async def get(self) -> Classifier:
        if self.classifier is None:
            if self._building is None:
                self._building = asyncio.ensure_future(asyncio.to_thread(Classifier.for_config, self.config))
            self.classifier = await self._building
        return self.classifier

    def keep_words(self) -> None:
        if self.classifier is not None:
            self.classifier.keep_words()


class LazyIngestor:
    """``await lazy.get()`` opens the ingestor once (every caller meanwhile waits for the same one); ``close()``.
    With ``shared``, its classifier is the process's (``SharedClassifier``), whose words the runner keeps."""

    def __init__(self, engine: Engine, config: Config, shared: SharedClassifier | None = None,
                 **options: Any) -> None:
        self.engine, self.config, self.options = engine, config, options
        self.ingestor: Ingestor | None = None
        self._shared = shared or SharedClassifier(config)
        self._own = shared is None

    async def get(self) -> Ingestor:
        if self.ingestor is None:
            classifier = await self._shared.get()
            if self.ingestor is None:
                self.ingestor = Ingestor(self.engine, self.config, classifier=classifier, keep_words=self._own,
                                         **self.options)
                self.ingestor.__enter__()
        return self.ingestor

    def close(self) -> None:
        """Commit what was stored (nothing to do when no record ever came)."""
        if self.ingestor is not None:
            self.ingestor.__exit__(None, None, None)
