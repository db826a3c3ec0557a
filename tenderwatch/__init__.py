"""Tenderwatch core: configuration, database and the command line that ties spiders, pipeline and alerts."""

__version__ = "0.1.0"
