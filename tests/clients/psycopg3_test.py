"""psycopg 3 (libpq, extended protocol) against DriftDB.

What psycopg 3 sends (../shared/clients/NEEDS.md): unnamed Parse with
parameter OIDs (0 for str, int2/int4/int8 for ints by size, numeric, bool,
timestamptz), Bind with mixed text/binary parameter formats, Describe
portal, Execute, one Sync per statement; binary results for
``cursor(binary=True)``; pipelines for ``executemany``; named statements
``_pg3_N`` once a query has run ``prepare_threshold`` (5) times; simple
BEGIN/COMMIT/ROLLBACK; the TypeInfo catalog lookup.
"""

import datetime as dt
from decimal import Decimal

import psycopg
from psycopg import errors
from psycopg.pq import TransactionStatus
from psycopg.types import TypeInfo

from harness import (DATABASE, HOST, ON_POSTGRES, PASSWORD, PORT, USER, check,
                     eq, raises, run)

UTC = dt.timezone.utc


def connect(**kw):
    return psycopg.connect(host=HOST, port=PORT, user=USER, password=PASSWORD,
                           dbname=DATABASE, **kw)


# The first data commit of a fresh database must be the quick start's INSERT
# (seq 1), so this check runs first.
@check(driftdb_only=True)
def quick_start():
    with connect(autocommit=True) as c:
        c.execute("DROP TABLE IF EXISTS events")
        c.execute("CREATE TABLE events (id INT PRIMARY KEY, data VARCHAR)")
        cur = c.execute("INSERT INTO events (id, data) VALUES (%s, %s)", (1, "original"))
        eq(cur.rowcount, 1, "INSERT rowcount")
        eq(cur.statusmessage, "INSERT 0 1", "INSERT tag")
        cur = c.execute("UPDATE events SET data = %s WHERE id = %s", ("modified", 1))
        eq(cur.statusmessage, "UPDATE 1", "UPDATE tag")
        eq(c.execute("SELECT * FROM events FOR SYSTEM_TIME AS OF @SEQ:1").fetchall(),
           [(1, "original")], "AS OF @SEQ:1")
        eq(c.execute("SELECT * FROM events").fetchall(), [(1, "modified")], "current")
        eq(c.execute("SELECT driftdb_current_seq()").fetchone()[0], 2, "current seq")
        # Binary results and a parameter in the time-travel query.
        rows = c.cursor(binary=True).execute(
            "SELECT id, data, system_seq_start FROM events FOR SYSTEM_TIME ALL "
            "WHERE id = %s ORDER BY system_seq_start", (1,)).fetchall()
        eq(rows, [(1, "original", 1), (1, "modified", 2)], "FOR SYSTEM_TIME ALL")


@check
def connect_with_scram():
    with connect() as c:
        eq(c.info.server_version, 150000 if not ON_POSTGRES else c.info.server_version,
           "server_version")
        eq(c.info.parameter_status("integer_datetimes"), "on", "integer_datetimes")
        eq(c.info.parameter_status("client_encoding"), "UTF8", "client_encoding")
        eq(c.info.parameter_status("standard_conforming_strings"), "on", "scs")
        eq(c.execute("SELECT current_user, current_database()").fetchone(),
           (USER, DATABASE), "current_user")
        eq(c.info.transaction_status, TransactionStatus.INTRANS, "implicit BEGIN")


@check
def wrong_password_is_refused():
    e = raises(psycopg.OperationalError, psycopg.connect, host=HOST, port=PORT,
               user=USER, password=PASSWORD + "x", dbname=DATABASE)
    assert f'password authentication failed for user "{USER}"' in str(e), str(e)


TYPED = """CREATE TABLE typed (
    id INT PRIMARY KEY, i INT, b BIGINT, s SMALLINT, n NUMERIC(12,2), t TEXT,
    v VARCHAR(20), f BOOLEAN, ts TIMESTAMPTZ, d DATE, fl DOUBLE PRECISION,
    r REAL)"""

ROW = (1, 2147483647, 9007199254740993, -32768, Decimal("100.50"),
       "Zoë 東京 'quoted' \\ back", "varchar", True,
       dt.datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=UTC), dt.date(2024, 2, 29),
       0.1, 1.5)
NULLS = (2,) + (None,) * 11


def make_typed(c):
    c.execute("DROP TABLE IF EXISTS typed")
    c.execute(TYPED)
    c.execute("INSERT INTO typed VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)", ROW)
    c.execute("INSERT INTO typed VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)", NULLS)


@check
def parameters_and_text_results():
    with connect(autocommit=True) as c:
        make_typed(c)
        rows = c.execute("SELECT * FROM typed ORDER BY id").fetchall()
        eq(rows[0], ROW, "typed row")
        eq(rows[1], NULLS, "NULL row")
        names = [d.name for d in c.execute("SELECT * FROM typed").description]
        eq(names, ["id", "i", "b", "s", "n", "t", "v", "f", "ts", "d", "fl", "r"], "names")
        oids = [d.type_code for d in c.execute("SELECT * FROM typed").description]
        eq(oids, [23, 23, 20, 21, 1700, 25, 1043, 16, 1184, 1082, 701, 700], "type OIDs")
        # Parameters in WHERE, typed from the client's OIDs.
        eq(c.execute("SELECT id FROM typed WHERE n = %s AND f = %s AND ts = %s",
                     (Decimal("100.5"), True, ROW[8])).fetchall(), [(1,)], "WHERE params")
        eq(c.execute("SELECT id FROM typed WHERE t LIKE %s", ("Zoë%",)).fetchall(),
           [(1,)], "LIKE param")


@check
def binary_results_and_parameters():
    with connect(autocommit=True) as c:
        make_typed(c)
        cur = c.cursor(binary=True)
        rows = cur.execute("SELECT * FROM typed ORDER BY id").fetchall()
        eq(rows[0], ROW, "binary row")
        eq(rows[1], NULLS, "binary NULL row")
        # %b sends the parameters in binary.
        cur.execute("INSERT INTO typed VALUES (%b, %b, %b, %b, %b, %b, %b, %b, %b, %b, %b, %b)",
                    (3,) + ROW[1:])
        eq(cur.execute("SELECT * FROM typed WHERE id = %b", (3,)).fetchone(),
           (3,) + ROW[1:], "binary parameters")
        eq(cur.execute("SELECT count(*) FROM typed").fetchone(), (3,), "count(*) binary")


@check
def expressions_of_every_type():
    with connect(autocommit=True) as c:
        row = c.execute(
            "SELECT %s::int + 1, %s::bigint * 2, %s::numeric(10,3), %s || '!', NOT %s, "
            "%s::date + 1, %s::float8 / 2, 100.50::numeric(12,2), 1 + 1",
            (41, 2**40, Decimal("1.5"), "hi", False, dt.date(2024, 2, 28), 3.0)).fetchone()
        eq(row, (42, 2**41, Decimal("1.500"), "hi!", True, dt.date(2024, 2, 29), 1.5,
                 Decimal("100.50"), 2), "expressions")
        eq(c.execute("SELECT %s", ("text param",)).fetchone(), ("text param",), "untyped")
        eq(c.execute("SELECT %s::timestamptz", (dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),))
           .fetchone()[0], dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC), "timestamptz")
        eq(c.execute("SELECT NULL::int, %s::text", (None,)).fetchone(), (None, None), "NULLs")
        eq(c.execute("SELECT count(*) FROM (VALUES (1), (2)) AS v(x)").fetchone(), (2,),
           "count(*) is int8")
        eq(c.execute("SELECT count(*) FROM (VALUES (1)) AS v(x)").description[0].type_code, 20,
           "count(*) OID")


@check
def transactions_commit_rollback_and_errors():
    with connect() as c:
        c.execute("DROP TABLE IF EXISTS accounts")
        c.execute("CREATE TABLE accounts (id INT PRIMARY KEY, owner TEXT, balance NUMERIC(12,2))")
        c.commit()
        with c.transaction():
            c.execute("INSERT INTO accounts VALUES (1, 'ann', 10.00), (2, 'bob', 20.00)")
        try:
            with c.transaction():
                c.execute("INSERT INTO accounts VALUES (3, 'cid', 30.00)")
                raise RuntimeError("roll back")
        except RuntimeError:
            pass
        c.commit()
        with connect() as other:
            eq(other.execute("SELECT id FROM accounts ORDER BY id").fetchall(), [(1,), (2,)],
               "committed rows seen by another connection")
        e = raises(errors.UniqueViolation, c.execute,
                   "INSERT INTO accounts VALUES (1, 'dup', 0)")
        eq(e.sqlstate, "23505", "SQLSTATE")
        eq(e.diag.message_primary,
           'duplicate key value violates unique constraint "accounts_pkey"', "message")
        eq(e.diag.message_detail, "Key (id)=(1) already exists.", "detail")
        eq(c.info.transaction_status, TransactionStatus.INERROR, "status E")
        e = raises(errors.InFailedSqlTransaction, c.execute, "SELECT 1")
        eq(e.sqlstate, "25P02", "in failed transaction")
        c.rollback()
        eq(c.info.transaction_status, TransactionStatus.IDLE, "status I")
        c.execute("UPDATE accounts SET balance = balance + %s WHERE id = %s", (Decimal("0.25"), 1))
        c.rollback()
        eq(c.execute("SELECT balance FROM accounts WHERE id = 1").fetchone()[0],
           Decimal("10.00"), "rolled-back update")
        c.rollback()


@check
def errors_keep_the_connection_usable():
    with connect(autocommit=True) as c:
        e = raises(errors.SyntaxError, c.execute, "SELEC 1")
        eq(e.sqlstate, "42601", "syntax error")
        eq(e.diag.message_primary, 'syntax error at or near "SELEC"', "syntax message")
        e = raises(errors.UndefinedTable, c.execute, "SELECT * FROM no_such_table")
        eq(e.diag.message_primary, 'relation "no_such_table" does not exist', "42P01 message")
        e = raises(errors.UndefinedColumn, c.execute, "SELECT no_such_column")
        eq(e.sqlstate, "42703", "undefined column")
        e = raises(errors.InvalidTextRepresentation, c.execute, "SELECT 'x'::int")
        eq(e.sqlstate, "22P02", "invalid input")
        eq(c.execute("SELECT 1").fetchone(), (1,), "still usable")


@check
def executemany_and_pipelines():
    with connect(autocommit=True) as c:
        c.execute("DROP TABLE IF EXISTS items")
        c.execute("CREATE TABLE items (id INT PRIMARY KEY, name TEXT, price NUMERIC(8,2))")
        cur = c.cursor()
        cur.executemany("INSERT INTO items VALUES (%s, %s, %s)",
                        [(i, f"item {i}", Decimal(i) / 4) for i in range(1, 51)])
        eq(c.execute("SELECT count(*), sum(price) FROM items").fetchone(),
           (50, Decimal("318.75")), "executemany rows")
        cur.executemany("UPDATE items SET name = %s WHERE id = %s RETURNING id",
                        [("x", 1), ("y", 2)], returning=True)
        got = []
        while True:
            got.append(cur.fetchone())
            if not cur.nextset():
                break
        eq(got, [(1,), (2,)], "executemany RETURNING")
        with c.pipeline():
            c.execute("INSERT INTO items VALUES (%s, %s, %s)", (100, "p", 1))
            c.execute("UPDATE items SET price = price * 2 WHERE id = %s", (100,))
            cur = c.execute("SELECT price FROM items WHERE id = %s", (100,))
        eq(cur.fetchone(), (Decimal("2.00"),), "pipeline result")


@check
def auto_prepared_named_statements():
    with connect(autocommit=True) as c:
        c.execute("DROP TABLE IF EXISTS prep")
        c.execute("CREATE TABLE prep (id INT PRIMARY KEY, v TEXT)")
        c.execute("INSERT INTO prep SELECT 1, 'one'")
        c.execute("INSERT INTO prep VALUES (2, 'two')")
        for i in range(12):
            row = c.execute("SELECT v FROM prep WHERE id = %s", (1 + i % 2,)).fetchone()
            eq(row, ("one" if i % 2 == 0 else "two",), f"run {i}")
        names = getattr(getattr(c, "_prepared", None), "_names", None)
        if names is not None:
            assert len(names) >= 1, "psycopg did not prepare the statement"
        # Explicit prepare, binary results from a named statement.
        cur = c.cursor(binary=True)
        for _ in range(3):
            eq(cur.execute("SELECT id, v FROM prep WHERE id = %s", (2,), prepare=True)
               .fetchone(), (2, "two"), "prepared binary")
        # DEALLOCATE ALL (what the pool sends on reset) and go on.
        c.execute("DEALLOCATE ALL")
        c._prepared.clear() if hasattr(c, "_prepared") else None
        eq(c.execute("SELECT v FROM prep WHERE id = %s", (1,)).fetchone(), ("one",),
           "after DEALLOCATE ALL")


@check
def type_info_lookup():
    with connect(autocommit=True) as c:
        eq(TypeInfo.fetch(c, "hstore"), None, "hstore")
        info = TypeInfo.fetch(c, "int4")
        eq((info.name, info.oid, info.array_oid), ("int4", 23, 1007), "int4")
        info = TypeInfo.fetch(c, "numeric")
        eq((info.name, info.oid, info.array_oid), ("numeric", 1700, 1231), "numeric")


if __name__ == "__main__":
    run()
