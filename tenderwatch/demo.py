"""The whole chain on recorded pages: what ``make demo`` shows a newcomer.

Everything is local: a fresh SQLite database and outbox under ``var/demo/``, the recorded and
reconstructed pages of ``tests/fixtures`` served on a loopback port, every enabled source crawled
through the real Scrapy engine with its real URLs rewritten to that port, then the ILO
notifications and this week's company digests written as .eml files.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from tenderwatch.config import Config
from tenderwatch.db.engine import make_engine, session_scope
from tenderwatch.db.models import Notice, Organisation

DEMO_DIR = Path("var/demo")
DEMO_HOST, DEMO_PORT = "127.0.0.1", 8000
DEMO_ILO = "demo-ilo"
DEMO_AWARD_LIST = Path(__file__).resolve().parent.parent / "docs" / "award-list-example.csv"
"""An award list with invented suppliers (CERN, 2022-2026), so that /georeturn shows a coefficient."""
SITE_FILE = "demo-site.json"
"""The demo's address and its ILO's user name and password (mode 600), for ``serve --demo``."""


@dataclass(frozen=True)
class DemoSite:
    """Where the demo's mails link to (``serve --demo`` listens there) and the demo ILO's sign-in."""

    port: int = DEMO_PORT
    user: str = ""
    password: str = ""

    @property
    def url(self) -> str:
        return f"http://{DEMO_HOST}:{self.port}"

    @classmethod
    def read(cls, folder: Path) -> DemoSite | None:
        """The site of the last demo run in ``folder`` (None when there is none)."""
        try:
            data = json.loads((folder / SITE_FILE).read_text(encoding="utf-8"))
            return cls(port=int(data["port"]), user=str(data["user"]), password=str(data["password"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def write(self, folder: Path) -> None:
        path = folder / SITE_FILE
        path.write_text(json.dumps({"port": self.port, "user": self.user, "password": self.password}) + "\n",
                        encoding="utf-8")
        path.chmod(0o600)


@dataclass
class DemoResult:
    crawl: list = field(default_factory=list)
    per_organisation: Counter[str] = field(default_factory=Counter)
    notices: int = 0
    digests: object | None = None
    notifications: object | None = None
    follow_ups: object | None = None
    outbox: Path | None = None
    seconds: float = 0.0
    site: DemoSite | None = None
    awards_imported: int = 0
    """Awards of the demo's award list (``docs/award-list-example.csv``) for the georeturn page."""
    profiles_published: int = 0
    """Directory records the demo publishes (``DEMO_PROFILES``)."""


def source_hosts(config: Config) -> set[str]:
    """Every host an enabled source may fetch from: its start URLs, allowed domains and API hosts."""
    from spiders.registry import spider_class

    hosts: set[str] = set()
    for src in config.sources:
        if not src.enabled:
            continue
        for url in src.start_urls:
            if urlparse(url).hostname:
                hosts.add(urlparse(url).hostname or "")
        hosts.update(src.allowed_domains)
        hosts.update(spider_class(src.kind).default_domains)
        for value in src.options.values():
            if isinstance(value, str) and value.startswith(("http://", "https://")):
                hosts.add(urlparse(value).hostname or "")
    return {h for h in hosts if h}


def ensure_demo_secret(folder: Path, env_name: str) -> None:
    """Links in demo mails are signed; use the environment's secret, else a random one kept in var/demo."""
    if os.environ.get(env_name):
        return
    path = folder.parent / ".demo-secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(32))
        path.chmod(0o600)
    os.environ[env_name] = path.read_text().strip()


DEMO_FILES = {"tenderwatch.db", "tenderwatch.db-wal", "tenderwatch.db-shm", "outbox", SITE_FILE}
"""What a demo writes in its folder: a folder holding anything else is not wiped."""


def prepare_folder(folder: Path) -> None:
    """Empty the demo folder for a new run. Only a folder holding nothing but what a demo writes
    (``DEMO_FILES``) is wiped, so that ``--folder ~`` given by mistake deletes nothing."""
    if folder.exists() and not folder.is_dir():
        raise NotADirectoryError(20, "not a folder", str(folder))
    if folder.is_dir():
        others = sorted(p.name for p in folder.iterdir() if p.name not in DEMO_FILES)
        if others:
            raise FileExistsError(17, f"it holds files a demo did not write ({', '.join(others[:3])}...); "
                                      "give a new or empty folder", str(folder))
        shutil.rmtree(folder)
    folder.mkdir(parents=True)


def add_demo_ilo(engine: Engine, folder: Path, port: int) -> DemoSite:
    """A web user for the demo's ILO pages with a new random password, kept with the demo's address in
    the demo folder for ``serve --demo``. It is bound to no ILO of the config, so that its pages show
    every organisation's calls."""
    from tenderwatch.web.users import add_user

    site = DemoSite(port=port, user=DEMO_ILO, password=secrets.token_urlsafe(12))
    add_user(engine, site.user, site.password, "ilo")
    site.write(folder)
    return site


DEMO_PROFILES: dict[str, dict[str, object]] = {
    "cryovac-delft": {
        "description_en": "Designs and builds cryostats, helium transfer lines and ultra-high vacuum chambers for "
                          "accelerators and detector test benches, from calculation to leak-tested delivery.",
        "description_nl": "Ontwerpt en bouwt cryostaten, heliumtransferleidingen en UHV-vacuümkamers.",
        "areas": ["cryogenics", "vacuum"], "capabilities": ["Cryostat design", "Helium leak testing",
                                                            "Orbital TIG welding", "UHV cleaning"],
        "certifications": ["ISO 9001", "EN 1090-2 EXC3"], "sme": True, "website": "https://cryovac.example.nl",
        "contact_name": "A. de Vries", "contact_email": "bigscience@cryovac.example.nl",
    },
    "twente-precision": {
        "description_en": "Precision machining and assembly of large, tight-tolerance parts: magnet yokes, "
                          "support structures and beam instrumentation mechanics.",
        "areas": ["mechanical", "magnets", "materials"], "capabilities": ["5-axis milling up to 6 m",
                                                                         "Coordinate measuring", "Clean assembly"],
        "certifications": ["ISO 9001", "ISO 14001"], "sme": True, "website": "https://twente-precision.example.nl",
        "contact_name": "J. Jansen", "contact_email": "sales@twente-precision.example.nl",
    },
    "photon-optics-eindhoven": {
        "description_en": "Optical and photonic assemblies for telescopes and detectors: scintillator tiles, fibre "
                          "assemblies, coated optics.",
        "areas": ["optics", "detectors"], "capabilities": ["Optical coating", "Fibre assembly", "Metrology"],
        "certifications": ["ISO 9001"], "sme": False, "website": "https://photon-optics.example.nl",
        "contact_name": "M. Bakker", "contact_email": "info@photon-optics.example.nl",
    },
}
"""Directory records the demo publishes for three of the example companies of ``config/companies.yaml``
(invented, like them), each with the demo award list's awards to it confirmed as references."""


def publish_demo_profiles(session: Session) -> int:
    """Write, confirm the references of, and publish ``DEMO_PROFILES`` (as the demo's ILO would)."""
    from tenderwatch.db.models import Company
    from tenderwatch.directory import profiles

    published = 0
    for key, values in DEMO_PROFILES.items():
        company = session.scalar(select(Company).where(Company.key == key))
        if company is None:
            continue
        refs = [f.key for f in profiles.references(session, company)]
        profiles.save(session, company, {**values, "listed": True, "confirmed_references": refs})
        profiles.publish(session, company, by=DEMO_ILO)
        published += 1
    return published


def run_demo(config: Config, folder: Path = DEMO_DIR, *, log_level: str = "ERROR", port: int = DEMO_PORT) -> DemoResult:
    from spiders.runner import crawl_sources
    from tenderwatch.db.migrate import upgrade
    from tenderwatch.loopback import FIXTURES, FixtureServer
    from tenderwatch.sync import sync_config

    started = time.monotonic()
    if not FIXTURES.is_dir():
        raise RuntimeError(f"recorded pages not found at {FIXTURES}: run the demo from a Tenderwatch checkout")
    prepare_folder(folder)
    outbox = folder / "outbox"
    config.settings.mail.backend = "outbox"
    config.settings.mail.outbox = str(outbox)
    config.settings.site_base_url = DemoSite(port).url  # so that the links in the demo's mails open its site
    ensure_demo_secret(folder, config.settings.secret_key_env)

    engine = make_engine(f"sqlite:///{folder / 'tenderwatch.db'}")
    upgrade(engine)
    with session_scope(engine) as session:
        sync_config(session, config)

    result = DemoResult(outbox=outbox, site=add_demo_ilo(engine, folder, port))
    server = FixtureServer().start()
    try:
        rewrite = server.rewrite_for(*sorted(source_hosts(config)))
        result.crawl = crawl_sources(
            config, engine, None, url_rewrite=rewrite, log_level=log_level,
            extra_settings={"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False},
        )
    finally:
        server.stop()

    with session_scope(engine) as session:
        # calls, not notices: the stages and change notices of one call count once
        rows = session.execute(
            select(Organisation.code, func.count(func.distinct(Notice.call_uid)))
            .join(Notice, Notice.organisation_id == Organisation.id)
            .group_by(Organisation.code)
        ).all()
        result.per_organisation = Counter({code: n for code, n in rows})
        result.notices = session.scalar(select(func.count(func.distinct(Notice.call_uid)))) or 0

    from tenderwatch.georeturn.award_list import import_award_list

    with session_scope(engine) as session:
        result.awards_imported = import_award_list(session, config, DEMO_AWARD_LIST).added
        result.profiles_published = publish_demo_profiles(session)

    from alerts.digest import run_digests
    from alerts.notify import run_ilo_notifications
    from tenderwatch.demo_follow_ups import add_demo_follow_ups

    result.follow_ups = add_demo_follow_ups(engine, config, DEMO_ILO)
    result.notifications = run_ilo_notifications(engine, config, reminders=True)
    result.digests = run_digests(engine, config)
    result.seconds = time.monotonic() - started
    engine.dispose()
    return result
