"""The parts of the scheduler (``scheduler.py`` is its entry point and tells the whole story).

* ``plan``: the jobs config asks for, and their APScheduler triggers in the settings' time zone;
* ``lock``: one scheduler per database (a lock row with a heartbeat);
* ``supervise``: one crawl in a child process with a hard time limit, its run recorded either way;
* ``jobs``: what each job does (``Operations``) and the job functions the job store refers to;
* ``cycle``: one full cycle for cron and CI (``tenderwatch run --once``), crawls run concurrently;
* ``service``: the long-running scheduler (APScheduler, persistent jobs, signals).

Imports flow downward: ``service`` and ``cycle`` use ``jobs``, which uses ``supervise``, ``plan``
and ``lock``; all of them sit on top of config, db, health, the spiders' command and the alerts.
"""
