"""Scrapy spiders, one generic class per publishing pattern, configured by ``config/sources.yaml``."""
