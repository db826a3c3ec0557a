"""The pipeline: pure functions that turn extracted records into stored, classified notices.

No Scrapy here. Spiders yield ``RawNotice``; ``normalise`` makes a ``NoticeRecord``;
``classify`` adds technology areas; ``store`` upserts into the database, linking stages and
recording changes. Import (JSON lines, TED XML) enters at ``NoticeRecord``.
"""
