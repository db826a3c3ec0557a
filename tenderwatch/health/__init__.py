"""Source health, in one place: what each crawl run says, the rules that judge a source, the verdicts.

* ``runs``: a crawl run recorded as it ended (status ok/empty/failed, counters on the source row);
  the spiders call it when a crawl closes, the scheduler when a crawl child died without doing so.
  The finish reasons that are not the source's fault (a scheduler stopping) are named here once.
* ``rules``: the verdict of one source from its recent runs (failing, empty while it used to return
  notices, too many notices missing required fields), thresholds from ``settings.health``.
* ``verdicts``: the verdicts stored on the ``Source`` rows; each *change* of verdict is claimed by
  exactly one check, and ``unhealthy_sources`` lists the sources now failing (mail footers, web).

Telling the administrator is a mail, so it lives with the other mails: ``alerts.health`` claims the
changes and writes one mail listing all of them in the same transaction. This package sits beside
``config`` and ``db``, under the spiders, the pipeline, the alerts and the web: it imports none of them.
"""
