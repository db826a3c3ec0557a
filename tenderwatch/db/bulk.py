"""Many rows into one table in one driver ``executemany`` (PostgreSQL: one ``COPY``), each column's
parameters converted once.

``connection.execute(table.insert(), rows)`` builds, for every row, a dict of every parameter through
the compiled statement's generic machinery before the driver sees it: about 10 us a row, which is a
tenth of a TED backfill (six rows a notice). Here the statement is compiled once per table and set
of columns, each column's bind processor (JSON encoding, the UTC datetime check and rendering, the
driver's own conversions) is looked up once, and a row is one tuple (positional drivers) or one dict
(named ones) handed to the driver through ``exec_driver_sql``: the same SQL, the same values, on
the same connection and transaction. On PostgreSQL (psycopg) the same values go by ``COPY ... FROM
STDIN`` instead (``_copy_rows``): psycopg's ``executemany`` spent 0.35 ms of Python a TED notice on
its rows' queries and parameters (6,000 eForms notices imported in 12.2 s of CPU, 10.1 s by ``COPY``).

Only for rows that give every column the statement names (no Python-side defaults are filled in):
``insert_rows`` refuses rows whose keys differ from the first row's.

A date or time column's distinct values are converted once per call: a batch's rows share their
``first_seen_at`` and ``last_seen_at`` (one moment) and a day's notices their publication date, while
the conversion (to UTC, then the dialect's rendering) costs about 2 us a value. Equal moments in different
zones convert alike (the stored value is the moment in UTC), so a value equal to one seen gets its result;
the very object converted last (a batch's one moment) is recognised without hashing it.

A JSON column's lists and objects are encoded by one C encoder made once (``_json_text``), not by
``json.dumps``, which makes a new encoder for every value (a TED notice's rows have about ten JSON values,
most of them short lists): the same text, as long as the dialect encodes JSON with ``json.dumps`` and
hands the text on unchanged (checked when the statement is planned); anything else goes the usual way.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import date
from operator import itemgetter
from typing import Any

from sqlalchemy import JSON, Connection, Table, TypeDecorator

_Processor = Callable[[Any], Any] | None
_Plan = tuple[str, list[str], list[_Processor], list[bool], bool]
_PLANS: dict[tuple[str, str, Table, tuple[str, ...]], _Plan] = {}


def _plan(conn: Connection, table: Table, keys: tuple[str, ...]) -> _Plan:
    """(SQL, parameter names in order, their processors, which are a date or time's, positional?) for this
    dialect, table and columns."""
    dialect = conn.dialect
    cache_key = (dialect.name, dialect.driver, table, keys)
    plan = _PLANS.get(cache_key)
    if plan is not None:
        return plan
    compiled = table.insert().compile(dialect=dialect, column_keys=list(keys))
    positional = bool(compiled.positional)
    # every parameter the statement takes, in the driver's order (a named style takes them by name)
    names = list(compiled.positiontup or []) if positional else list(compiled.binds)
    unknown = set(names) - set(keys)
    if unknown:  # a column with a Python-side default the rows do not give: not for this path
        raise ValueError(f"insert_rows into {table.name}: rows lack {sorted(unknown)}")
    processors = [_json_text(fn, dialect) if fn is not None and isinstance(table.c[name].type, JSON) else fn
                  for name, fn in ((name, table.c[name].type.dialect_impl(dialect).bind_processor(dialect))
                                   for name in names)]
    moments = [fn is not None and _is_moment(table, name) for name, fn in zip(names, processors, strict=True)]
    plan = _PLANS[cache_key] = (str(compiled), names, processors, moments, positional)
    return plan


def _is_moment(table: Table, name: str) -> bool:
    """Whether a column holds dates or datetimes: a type decorator's by the type it stores (``UTCDateTime``'s
    own ``python_type`` is ``object``, so its columns, every moment of a notice, were converted value by value:
    about 1.7 us each, seven a TED notice)."""
    kind = table.c[name].type
    if isinstance(kind, TypeDecorator):
        kind = kind.impl_instance
    try:
        return issubclass(kind.python_type, date)  # date and datetime
    except NotImplementedError:
        return False


def _once_each(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``convert``, each distinct value converted once (for one ``insert_rows`` call); the value converted
    last is recognised by identity first (a batch's rows share one ``now``)."""
    seen: dict[Any, Any] = {}
    last: list[Any] = [object(), None]  # (value, its result)

    def process(value: Any) -> Any:
        if value is last[0]:
            return last[1]
        try:
            out = seen[value]
        except KeyError:
            out = seen[value] = convert(value)
        last[0], last[1] = value, out
        return out

    return process


_MARKERS: dict[int, Any] = {}


def _not_json(value: Any) -> Any:
    raise TypeError(f"Object of type {value.__class__.__name__} is not JSON serializable")


_ENCODE = (json.encoder.c_make_encoder(_MARKERS, _not_json, json.encoder.encode_basestring_ascii, None,  # type: ignore[attr-defined]
                                       ": ", ", ", False, False, True)
           if json.encoder.c_make_encoder is not None else None)  # type: ignore[attr-defined]
"""``json.dumps``'s encoder with ``json.dumps``'s settings (ASCII, ", " and ": ", NaN allowed, keys in order),
made once."""


def _json_text(convert: Callable[[Any], Any], dialect: Any) -> Callable[[Any], Any]:
    """A JSON column's ``convert`` with lists and objects encoded by ``_ENCODE``: used only when the dialect's
    processor gives exactly ``json.dumps``'s text (no serializer of its own, the text passed on as it is)."""
    probe: list[Any] = ["é", {"a": [1, 2.5, None, True]}]
    if _ENCODE is None or getattr(dialect, "_json_serializer", None) is not None or convert(probe) != json.dumps(probe):
        return convert

    null = convert(None)  # what a None becomes, once (a TED notice has no eligible countries)

    def process(value: Any) -> Any:
        kind = type(value)
        if kind is list or kind is dict:
            try:
                return "".join(_ENCODE(value, 0))
            except Exception:  # not JSON, or circular: json.dumps says why, below
                _MARKERS.clear()
        elif value is None:
            return null
        return convert(value)

    return process


def insert_rows(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """``conn.execute(table.insert(), rows)`` with the per-row work done once per column."""
    if not rows:
        return
    keys = tuple(rows[0])
    sql, names, processors, moments, positional = _plan(conn, table, keys)
    # the row's values in the statement's order in one C call, then only the columns with a processor
    # converted: most of a row's columns (ids, texts, codes) go to the driver as they are
    take = itemgetter(*names) if len(names) > 1 else lambda row: (row[names[0]],)
    convert = [(i, _once_each(fn) if moment else fn)  # type: ignore[arg-type]
               for i, (fn, moment) in enumerate(zip(processors, moments, strict=True)) if fn is not None]
    width = len(keys)
    copy = _copies(conn)
    params: list[Any] = []
    try:
        for row in rows:
            if len(row) != width:
                raise KeyError
            values = list(take(row))
            for i, fn in convert:
                values[i] = fn(values[i])
            params.append(tuple(values) if positional or copy else dict(zip(names, values, strict=True)))
    except KeyError:
        raise ValueError(f"insert_rows into {table.name}: rows do not all give the same columns") from None
    if copy:
        _copy_rows(conn, table, names, params)
    else:
        conn.exec_driver_sql(sql, params)


def _copies(conn: Connection) -> bool:
    """PostgreSQL through psycopg takes the rows by ``COPY ... FROM STDIN``."""
    return conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg"


def _copy_rows(conn: Connection, table: Table, names: list[str], params: list[tuple[Any, ...]]) -> None:
    """The rows in one ``COPY`` on the connection's own transaction: psycopg's ``executemany`` spends
    a row's worth of Python on each row (query, parameters, pipeline), ``COPY`` writes each row in C.

    A value is what the column's bind processor made of it (JSON as its text, a moment in UTC), written in
    COPY's text format and read by the server as the column's type, as the ``INSERT`` would have it.
    A refusal comes back as SQLAlchemy's ``DBAPIError``, as ``exec_driver_sql``'s would."""
    from sqlalchemy.exc import DBAPIError

    prepare = conn.dialect.identifier_preparer
    statement = (f"COPY {prepare.format_table(table)} ({', '.join(prepare.quote(name) for name in names)}) "
                 "FROM STDIN")
    driver = conn.connection.dbapi_connection
    assert driver is not None
    dbapi = conn.dialect.loaded_dbapi
    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in params:
                copy.write_row(row)
    except dbapi.Error as exc:
        raise DBAPIError.instance(statement, None, exc, dbapi.Error) from exc
