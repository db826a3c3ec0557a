"""``insert_rows`` (the bulk path's driver-level executemany) stores what ``conn.execute(insert, rows)`` stores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import Engine, Text, cast, select
from sqlalchemy.exc import IntegrityError

from tenderwatch.db.bulk import insert_rows
from tenderwatch.db.engine import session_scope
from tenderwatch.db.models import Award, Notice


def _notice_id(engine: Engine) -> int:
    with session_scope(engine) as s:
        notice = Notice(uid="tw-bulk", call_uid="tw-bulk", title="Cryostat", cpv_codes=["42000000"],
                        raw={"a": 1}, languages=["en"], warnings=[], extra={})
        s.add(notice)
        s.flush()
        return notice.id


def _rows(nid: int, tag: str) -> list[dict]:
    cet = timezone(timedelta(hours=1))
    return [{"notice_id": nid, "lot_number": f"{tag}-1", "winner_name": "Ünïcode B.V. 'quoted'",
             "winner_country": "NL", "awarded_at": datetime(2026, 3, 1, 12, 0, tzinfo=cet),
             "value_amount": Decimal("1234567.89"), "value_currency": "EUR"},
            {"notice_id": nid, "lot_number": f"{tag}-2", "winner_name": "Second", "winner_country": None,
             "awarded_at": None, "value_amount": None, "value_currency": None}]


def test_insert_rows_stores_what_core_insert_stores(engine: Engine) -> None:
    nid = _notice_id(engine)
    with engine.begin() as conn:
        insert_rows(conn, Award.__table__, _rows(nid, "bulk"))
        conn.execute(Award.__table__.insert(), _rows(nid, "core"))
    with session_scope(engine) as s:
        got = {a.lot_number: (a.winner_name, a.winner_country, a.awarded_at, a.value_amount, a.value_currency)
               for a in s.scalars(select(Award))}
    assert got["bulk-1"] == got["core-1"] and got["bulk-2"] == got["core-2"]
    assert got["bulk-1"][2] == datetime(2026, 3, 1, 11, 0, tzinfo=UTC)  # stored as UTC, read back aware
    assert got["bulk-1"][3] == Decimal("1234567.89")


def test_insert_rows_encodes_json_columns(engine: Engine) -> None:
    _notice_id(engine)
    row = {"uid": "tw-2", "call_uid": "tw-2", "title": "T", "cpv_codes": ["38000000", "31643000"],
           "raw": {"nested": {"x": [1, 2]}}, "languages": ["de"], "warnings": [], "extra": {"k": "v"},
           "first_seen_at": datetime(2026, 1, 1, tzinfo=UTC), "last_seen_at": datetime(2026, 1, 1, tzinfo=UTC),
           "last_changed_at": datetime(2026, 1, 1, tzinfo=UTC), "notice_type": "other", "status": "open"}
    with engine.begin() as conn:
        insert_rows(conn, Notice.__table__, [row])
    with session_scope(engine) as s:
        n = s.scalars(select(Notice).where(Notice.uid == "tw-2")).one()
        assert (n.cpv_codes, n.raw, n.extra, n.languages) == (
            ["38000000", "31643000"], {"nested": {"x": [1, 2]}}, {"k": "v"}, ["de"])


def test_insert_rows_refuses_uneven_rows_and_naive_datetimes(engine: Engine) -> None:
    nid = _notice_id(engine)
    uneven = _rows(nid, "x")
    del uneven[1]["awarded_at"]
    with engine.begin() as conn, pytest.raises(ValueError, match="same columns"):
        insert_rows(conn, Award.__table__, uneven)
    naive = _rows(nid, "y")
    naive[0]["awarded_at"] = datetime(2026, 3, 1, 12, 0)
    with engine.begin() as conn, pytest.raises(ValueError, match="naive datetime"):
        insert_rows(conn, Award.__table__, naive)
    with session_scope(engine) as s:
        assert s.scalars(select(Award)).all() == []


def test_insert_rows_converts_each_moment_once_and_equal_moments_alike(engine: Engine) -> None:
    """A date or time value is converted once per call; an equal moment given in another zone is the same
    stored value, and a naive one after an aware one is still refused."""
    nid = _notice_id(engine)
    cet = timezone(timedelta(hours=1))
    rows = _rows(nid, "m")
    rows[1]["awarded_at"] = datetime(2026, 3, 1, 11, 0, tzinfo=UTC)  # the first row's moment, in UTC
    rows += [dict(rows[0], lot_number="m-3"), dict(rows[0], lot_number="m-4", awarded_at=None)]
    with engine.begin() as conn:
        insert_rows(conn, Award.__table__, rows)
    with session_scope(engine) as s:
        got = {a.lot_number: a.awarded_at for a in s.scalars(select(Award))}
    moment = datetime(2026, 3, 1, 12, 0, tzinfo=cet)
    assert got == {"m-1": moment, "m-2": moment, "m-3": moment, "m-4": None}
    late_naive = _rows(nid, "n")
    late_naive[1]["awarded_at"] = datetime(2026, 3, 1, 11, 0)
    with engine.begin() as conn, pytest.raises(ValueError, match="naive datetime"):
        insert_rows(conn, Award.__table__, late_naive)


def test_a_time_zone_aware_column_is_converted_once_per_moment(engine: Engine,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """``UTCDateTime`` columns (every moment of a notice) go through the per-call conversion too: their type's
    own ``python_type`` is ``object``, which once left them out (converted again for every row)."""
    from tenderwatch.db import bulk
    from tenderwatch.db.types import UTCDateTime

    calls: list[datetime | None] = []
    convert = UTCDateTime.process_bind_param

    def counted(self: UTCDateTime, value: datetime | None, dialect: object) -> datetime | None:
        calls.append(value)
        return convert(self, value, dialect)

    monkeypatch.setattr(UTCDateTime, "process_bind_param", counted)
    monkeypatch.setattr(bulk, "_PLANS", {})  # plans made before hold the processor as it was
    nid = _notice_id(engine)
    rows = [dict(row, lot_number=f"t-{i}") for i, row in enumerate(_rows(nid, "t") * 3)]
    with engine.begin() as conn:
        insert_rows(conn, Award.__table__, rows)
    assert sorted(calls, key=lambda v: v is None) == [datetime(2026, 3, 1, 12, 0, tzinfo=timezone(timedelta(hours=1))),
                                                       None]


def test_insert_rows_keeps_json_and_text_exactly(engine: Engine) -> None:
    """Every character a text or JSON value may hold arrives as the core ``INSERT`` stores it, on PostgreSQL
    (where the rows go by ``COPY``, whose text format escapes tabs, line breaks and backslashes) as on SQLite."""
    _notice_id(engine)
    tricky = 'tab\\there\tnew\nline \\N back\\\\slash "quoted" ünï €, \u200b'
    rows = []
    for uid in ("tw-bulk-json", "tw-core-json"):
        moment = datetime(2026, 1, 1, tzinfo=UTC)
        rows.append({"uid": uid, "call_uid": uid, "title": tricky, "description": None, "cpv_codes": [tricky],
                     "raw": {"text": tricky, "nested": {"x": [1, 2.5, None, True]}}, "languages": ["de"],
                     "warnings": [], "extra": {"k": tricky}, "first_seen_at": moment, "last_seen_at": moment,
                     "last_changed_at": moment, "notice_type": "other", "status": "open"})
    with engine.begin() as conn:
        insert_rows(conn, Notice.__table__, rows[:1])
        conn.execute(Notice.__table__.insert(), rows[1:])
    table = Notice.__table__
    with engine.connect() as conn:
        got = {uid: rest for uid, *rest in conn.execute(select(
            table.c.uid, table.c.title, table.c.description, table.c.cpv_codes, table.c.raw, table.c.extra,
            table.c.first_seen_at))}
        texts = {uid: text for uid, text in conn.execute(select(table.c.uid, cast(table.c.raw, Text)))}
    assert got["tw-bulk-json"] == got["tw-core-json"]
    assert got["tw-bulk-json"][0] == tricky and got["tw-bulk-json"][4] == {"k": tricky}
    assert texts["tw-bulk-json"] == texts["tw-core-json"] and "\\t" in texts["tw-bulk-json"]


def test_a_refused_insert_rows_is_sqlalchemys_error_and_rolls_back_to_its_savepoint(engine: Engine) -> None:
    """What ``Ingestor.add_many`` relies on to store a refused batch record by record: the refusal is an
    ``IntegrityError`` (also from PostgreSQL's ``COPY``), and the transaction goes on after its savepoint."""
    nid = _notice_id(engine)
    with engine.begin() as conn:
        try:
            with conn.begin_nested():
                insert_rows(conn, Award.__table__, _rows(nid, "kept"))
                moment = datetime(2026, 1, 1, tzinfo=UTC)
                insert_rows(conn, Notice.__table__, [{
                    "id": nid, "uid": "tw-bulk", "call_uid": "tw-bulk", "title": "again", "notice_type": "other",
                    "status": "open", "cpv_codes": [], "raw": {}, "languages": [], "warnings": [], "extra": {},
                    "first_seen_at": moment, "last_seen_at": moment, "last_changed_at": moment}])
        except IntegrityError:
            pass
        else:
            raise AssertionError("a second notice with a stored id and uid was not refused")
        insert_rows(conn, Award.__table__, _rows(nid, "after"))
    with session_scope(engine) as s:
        assert sorted(a.lot_number for a in s.scalars(select(Award))) == ["after-1", "after-2"]


def test_json_columns_get_json_dumps_text_and_its_errors(engine: Engine) -> None:
    """The bulk path's JSON encoding (one encoder made once) gives the column's own text and refusals (on
    PostgreSQL the driver's ``Json`` wrappers, compared by what they wrap, are left as they are)."""
    from tenderwatch.db.bulk import _plan

    table = Notice.__table__
    keys = ("uid", "call_uid", "title", "cpv_codes", "raw", "languages", "warnings", "extra", "first_seen_at",
            "last_seen_at", "last_changed_at", "notice_type", "status")
    with engine.connect() as conn:
        _, names, processors, _, _ = _plan(conn, table, keys)
        plain = table.c.raw.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
    raw = processors[names.index("raw")]
    assert raw is not None and plain is not None
    for value in ([], {}, ["é", "\u200b", 'q"uote'], {"a": [1, 2.5, None, True, float("nan")]}, {"b": {"c": "d"}},
                  None, "text", 3):
        assert getattr(raw(value), "obj", raw(value)) == getattr(plain(value), "obj", plain(value))
    if not isinstance(plain([]), str):
        return  # the driver encodes (psycopg's Json): nothing is encoded here, nor refused
    circular: list[object] = []
    circular.append(circular)
    with pytest.raises(ValueError, match="Circular"):
        raw(circular)
    with pytest.raises(TypeError, match="Decimal"):
        raw([Decimal(1)])
    after = ["after", {"k": 1}]  # nothing left over from the refusals
    assert getattr(raw(after), "obj", raw(after)) == getattr(plain(after), "obj", plain(after))
