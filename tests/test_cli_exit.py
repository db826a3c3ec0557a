"""How a command ends: its database connections closed (``AppContext.close``), then the heap frozen so the
interpreter's exit does not walk it for cycles again (``tenderwatch.cli.main``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import Engine

from tenderwatch.context import AppContext


def test_closing_the_context_closes_the_connections_it_opened(db_url: str, engine: Engine, config_dir: Path) -> None:
    ctx = AppContext(config_dir=config_dir, db_url=db_url)
    ctx.close()  # nothing opened: nothing to do, and no engine made for it
    assert "engine" not in ctx.__dict__
    ctx.prepare_database()
    assert ctx.engine.pool.checkedin() >= 1
    ctx.close()
    assert ctx.engine.pool.checkedin() == 0


def test_a_command_ends_with_its_heap_frozen(tmp_path: Path, db_url: str, engine: Engine, config_dir: Path) -> None:
    empty = tmp_path / "in"
    empty.mkdir()
    code = (
        "import gc, sys\nfrom tenderwatch.cli import main\ntry:\n"
        f"    main(['--config', {str(config_dir)!r}, '--database', {db_url!r}, 'import', {str(empty)!r}])\n"
        "except SystemExit as exc:\n    print('exit', exc.code, 'frozen', gc.get_freeze_count() > 0)\n"
    )
    env = {**os.environ, "TENDERWATCH_REJECTS_DIR": str(tmp_path / "rejects")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert done.stdout.strip().splitlines()[-1] == "exit 0 frozen True", done.stdout + done.stderr
