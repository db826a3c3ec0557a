"""``upgrade`` decides "already at the head" without Alembic, and agrees with Alembic on what the head is."""

from __future__ import annotations

import subprocess
import sys

from sqlalchemy import Engine, text

from tenderwatch.db.migrate import _database_revisions, _plain_head, alembic_config, current_revision, upgrade


def test_the_head_read_from_the_files_is_alembics(engine: Engine) -> None:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert _plain_head() == script.get_current_head()
    assert current_revision(engine) == _plain_head()
    assert _database_revisions(engine) == [_plain_head()]


def test_an_older_database_is_still_upgraded(engine: Engine) -> None:
    with engine.begin() as conn:  # as if the last migration had not run: upgrade must not take the short way
        conn.execute(text("UPDATE alembic_version SET version_num = 'not-a-revision'"))
    assert _database_revisions(engine) == ["not-a-revision"]
    try:
        upgrade(engine)
    except Exception as exc:  # Alembic was asked, and it does not know that revision
        assert "not-a-revision" in str(exc)
    else:
        raise AssertionError("upgrade took the short way on a database that is not at the head")


def test_a_database_without_version_table_reads_as_none(tmp_path: object) -> None:
    from tenderwatch.db.engine import make_engine

    empty = make_engine(f"sqlite:///{tmp_path}/empty.db")
    assert _database_revisions(empty) is None
    upgrade(empty)  # created by Alembic from nothing
    assert _database_revisions(empty) == [_plain_head()]
    empty.dispose()


def test_upgrading_an_up_to_date_database_does_not_load_alembic(db_url: str, engine: Engine) -> None:
    code = (
        "import sys\nfrom tenderwatch.db.engine import make_engine\nfrom tenderwatch.db.migrate import upgrade\n"
        f"upgrade(make_engine({db_url!r}))\nprint('alembic' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.strip() == "False"
