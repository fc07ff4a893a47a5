"""SQLite's SQL, as Pendopo's callers and migrations write it, in PostgreSQL's dialect.

sqlglot (``read="sqlite", write="postgres"``) does the translation; this module only adds what
SQLite's looser rules allow and sqlglot leaves alone:

- ``?`` and ``:name`` become ``%s`` and ``%(name)s``; a ``%`` in a string literal is doubled
  (psycopg reads ``%`` as a placeholder);
- ``INTEGER`` is 64 bits (``BIGINT``), an ``INTEGER PRIMARY KEY`` draws from an identity, and
  ``COLLATE NOCASE`` becomes the ``citext`` type;
- an integer column used as a condition (``WHERE enabled``) is compared with 0, ``LIKE`` is
  ``ILIKE`` (SQLite's LIKE ignores ASCII case), ``total(x)`` is ``COALESCE(SUM(x), 0)``,
  ``round(x, n)`` rounds a ``NUMERIC``, ``json_extract`` reads the text as JSON;
- ``INSERT OR IGNORE`` is ``ON CONFLICT DO NOTHING``;
- ``BEGIN IMMEDIATE`` is ``BEGIN`` (one writer per process; PostgreSQL locks rows itself);
- ``sqlite_master`` (which tables exist) reads ``information_schema.tables``;
- a table's ``WITHOUT ROWID`` is dropped (every PostgreSQL table is stored that way);
- a trigger (``CREATE TRIGGER ... BEGIN ...; END``, each row) becomes a PL/pgSQL function and
  a ``FOR EACH ROW`` trigger running it (``SELECT RAISE(ABORT, 'why')`` is ``RAISE EXCEPTION``).

Each distinct statement is translated once (an LRU cache): callers' SQL is a fixed set of
strings. ``INSERT OR REPLACE`` needs its conflict target: callers write ``ON CONFLICT (...) DO
UPDATE`` instead, which both databases understand.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import sqlglot
from sqlglot import exp

RESERVED = frozenset({"user"})
"""Column names SQLite takes bare that PostgreSQL reserves: quoted."""

_TRANSACTION = {
    "BEGIN": "BEGIN",
    "BEGIN IMMEDIATE": "BEGIN",
    "COMMIT": "COMMIT",
    "ROLLBACK": "ROLLBACK",
}


class DialectError(ValueError):
    """A statement this translation does not support (say which, never guess)."""


_TRIGGER = re.compile(
    r"CREATE\s+TRIGGER\s+(?P<name>\w+)\s+(?P<timing>BEFORE|AFTER)\s+(?P<event>INSERT|UPDATE|DELETE)"
    r"\s+ON\s+(?P<table>\w+)(?:\s+FOR\s+EACH\s+ROW)?(?:\s+WHEN\s+(?P<when>.+?))?"
    r"\s+BEGIN\s+(?P<body>.+);\s*END\s*;?\s*$",
    re.IGNORECASE | re.DOTALL,
)
_SQLITE_MASTER = (
    sqlglot.parse_one(
        "SELECT 1 FROM (SELECT 'table' AS type, table_name AS name FROM information_schema.tables"
        " WHERE table_schema = current_schema()) AS sqlite_master",
        read="postgres",
    )
    .args["from_"]
    .this
)
"""SQLite's catalogue of tables, as far as callers ask it (``type``, ``name``)."""
_WITHOUT_ROWID = re.compile(r"\)\s*WITHOUT\s+ROWID\s*(;?)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Translated:
    sql: str
    before: tuple[str, ...] = ()
    """Statements to run first (a trigger's function)."""
    insert_into: str | None = None
    """The table of an ``INSERT`` without ``RETURNING``: its ``lastrowid`` is asked for."""


@functools.lru_cache(maxsize=4096)
def translate(sql: str) -> Translated:
    """``sql`` (one statement, SQLite's dialect) for PostgreSQL through psycopg."""
    bare = " ".join(sql.split()).rstrip(";").upper()
    if bare in _TRANSACTION:
        return Translated(_TRANSACTION[bare])
    trigger = _TRIGGER.match(sql.strip())
    if trigger:
        return _trigger(trigger)
    sql = _WITHOUT_ROWID.sub(r")\1", sql)
    try:
        statements = [s for s in sqlglot.parse(sql, read="sqlite") if s is not None]
    except sqlglot.errors.ParseError as exc:
        raise DialectError(f"cannot read SQL {sql!r}: {exc}") from exc
    if len(statements) != 1:
        raise DialectError(f"expected one statement, got {len(statements)}: {sql!r}")
    tree = _rewrite(statements[0])
    insert_into = None
    if isinstance(tree, exp.Insert):
        if tree.args.get("alternative"):
            if tree.args["alternative"].upper() != "IGNORE":
                raise DialectError(f"write ON CONFLICT (...) DO UPDATE instead: {sql!r}")
            tree.set("alternative", None)
            tree.set("conflict", exp.OnConflict(action=exp.var("DO NOTHING")))
        if not tree.args.get("returning"):
            insert_into = tree.find(exp.Table)
    out = tree.sql(dialect="postgres")
    return Translated(out, insert_into=insert_into.name if insert_into is not None else None)


def _trigger(found: re.Match[str]) -> Translated:
    name, timing, event = found["name"], found["timing"].upper(), found["event"].upper()
    body = "; ".join(_trigger_step(step) for step in found["body"].split(";") if step.strip())
    result = "NULL" if timing == "AFTER" else ("OLD" if event == "DELETE" else "NEW")
    function = (
        f"CREATE OR REPLACE FUNCTION {name}_fn() RETURNS trigger LANGUAGE plpgsql AS $fn$"
        f" BEGIN {body}; RETURN {result}; END $fn$"
    )
    when = f" WHEN ({_condition(found['when'])})" if found["when"] else ""
    trigger = (
        f"CREATE TRIGGER {name} {timing} {event} ON {found['table']} FOR EACH ROW{when}"
        f" EXECUTE FUNCTION {name}_fn()"
    )
    return Translated(trigger, before=(function,))


_RAISE = re.compile(
    r"\s*SELECT\s+RAISE\s*\(\s*(?:ABORT|FAIL|ROLLBACK)\s*,\s*'([^'%]*)'\s*\)\s*$", re.I
)


def _trigger_step(statement: str) -> str:
    """One statement of a trigger's body; ``SELECT RAISE(ABORT, 'why')`` refuses the change."""
    refused = _RAISE.match(statement)
    return f"RAISE EXCEPTION '{refused[1]}'" if refused else translate(statement).sql


def _condition(text: str) -> str:
    """A trigger's ``WHEN`` condition."""
    where = exp.Where(this=sqlglot.parse_one(text, read="sqlite"))
    return str(_rewrite(where).this.sql(dialect="postgres"))


def _rewrite(tree: exp.Expr) -> exp.Expr:
    """Each rule over the nodes it concerns, found before any is replaced."""
    for table in list(tree.find_all(exp.Table)):
        if table.name.lower() == "sqlite_master":
            table.replace(_SQLITE_MASTER.copy())
    for column in list(tree.find_all(exp.ColumnDef)):
        _column_def(column)
    for ident in list(tree.find_all(exp.Identifier)):
        if not ident.quoted and ident.name.lower() in RESERVED:
            ident.set("quoted", True)
    for literal in list(tree.find_all(exp.Literal)):
        if literal.is_string and "%" in literal.this:
            literal.set("this", literal.this.replace("%", "%%"))
    for key in list(tree.find_all(exp.OnConflict)):
        for ordered in list(key.find_all(exp.Ordered)):  # a conflict target has no NULLS FIRST
            ordered.replace(ordered.this)
    for cond in list(tree.find_all(exp.Where, exp.Having, exp.And, exp.Or, exp.Not, exp.If)):
        for arg in ("this", "expression"):
            child = cond.args.get(arg)
            if isinstance(child, exp.Column):
                cond.set(arg, exp.NEQ(this=child, expression=exp.Literal.number(0)))
    for like in list(tree.find_all(exp.Like)):
        like.replace(exp.ILike(this=like.this, expression=like.expression))
    for call in list(tree.find_all(exp.Anonymous)):
        if call.name.lower() == "total":
            total = exp.Coalesce(
                this=exp.Sum(this=call.expressions[0]), expressions=[exp.Literal.number(0)]
            )
            call.replace(total)
    for rounded in list(tree.find_all(exp.Round)):
        if rounded.args.get("decimals") is not None:
            rounded.set("this", exp.Cast(this=rounded.this, to=exp.DataType.build("NUMERIC")))
    for extract in list(tree.find_all(exp.JSONExtract, exp.JSONExtractScalar)):
        extract.set("this", exp.Cast(this=extract.this, to=exp.DataType.build("JSON")))
    return tree


def _column_def(node: exp.ColumnDef) -> exp.ColumnDef:
    kind = node.args.get("kind")
    constraints = node.args.get("constraints") or []
    if isinstance(kind, exp.DataType) and kind.this in (exp.DataType.Type.INT,):
        node.set("kind", exp.DataType.build("BIGINT"))
        if any(isinstance(c.kind, exp.PrimaryKeyColumnConstraint) for c in constraints):
            identity = exp.ColumnConstraint(
                kind=exp.GeneratedAsIdentityColumnConstraint(this=False)
            )
            node.set("constraints", [identity, *constraints])
    nocase = [
        c
        for c in constraints
        if isinstance(c.kind, exp.CollateColumnConstraint) and c.kind.this.name.upper() == "NOCASE"
    ]
    if nocase:
        node.set("kind", exp.DataType.build("CITEXT", udt=True))
        node.set("constraints", [c for c in node.args["constraints"] if c not in nocase])
    return node


__all__ = ["DialectError", "Translated", "translate"]
