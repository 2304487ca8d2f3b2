"""psycopg2 (libpq, simple Query only) against DriftDB.

psycopg2 quotes parameters into the SQL text itself
(``'2024-01-02T03:04:05+00:00'::timestamptz``, ``100.50``, ``true``,
``NULL``), sends an implicit ``BEGIN`` before the first statement of each
transaction and ``COMMIT``/``ROLLBACK`` (../shared/clients/NEEDS.md).
"""

import contextlib
import datetime as dt
from decimal import Decimal

import psycopg2
import psycopg2.errors
import psycopg2.extensions as ext

from harness import DATABASE, HOST, ON_POSTGRES, PASSWORD, PORT, USER, check, eq, raises, run

UTC = dt.timezone.utc


def connect():
    """A connection closed at the end of a ``with`` block (psycopg2's own
    ``with conn`` only ends the transaction): a check that fails must not
    leave a transaction open, since it would hold the write path."""
    return contextlib.closing(psycopg2.connect(host=HOST, port=PORT, user=USER,
                                               password=PASSWORD, dbname=DATABASE))


@check(driftdb_only=True)
def quick_start():
    with connect() as c:
        c.autocommit = True
        cur = c.cursor()
        cur.execute("DROP TABLE IF EXISTS events")
        cur.execute("CREATE TABLE events (id INT PRIMARY KEY, data VARCHAR)")
        cur.execute("INSERT INTO events (id, data) VALUES (%s, %s)", (1, "original"))
        eq(cur.statusmessage, "INSERT 0 1", "INSERT tag")
        cur.execute("UPDATE events SET data = %s WHERE id = %s", ("modified", 1))
        eq(cur.rowcount, 1, "UPDATE rowcount")
        cur.execute("SELECT * FROM events FOR SYSTEM_TIME AS OF @SEQ:1")
        eq(cur.fetchall(), [(1, "original")], "AS OF @SEQ:1")
        cur.execute("SELECT * FROM events")
        eq(cur.fetchall(), [(1, "modified")], "current")
        cur.execute("SELECT data, system_seq_start, system_seq_end FROM events "
                    "FOR SYSTEM_TIME FROM @SEQ:1 TO @SEQ:3 ORDER BY system_seq_start")
        eq(cur.fetchall(), [("original", 1, 2), ("modified", 2, None)], "FROM ... TO")


@check
def connect_with_scram():
    with connect() as c:
        eq(c.server_version, 150000 if not ON_POSTGRES else c.server_version, "server_version")
        eq(c.get_parameter_status("DateStyle"), "ISO, MDY", "DateStyle")
        cur = c.cursor()
        cur.execute("SELECT version()")
        assert cur.fetchone()[0].startswith("PostgreSQL 15."), "version()"
        eq(c.get_transaction_status(), ext.TRANSACTION_STATUS_INTRANS, "implicit BEGIN")
    e = raises(psycopg2.OperationalError, psycopg2.connect, host=HOST, port=PORT, user=USER,
               password="wrong" + PASSWORD, dbname=DATABASE)
    assert 'password authentication failed for user "driftdb"' in str(e), str(e)


ROW = (1, 2147483647, 9007199254740993, Decimal("100.50"), "Zoë 東京 'q' \\ %",
       True, dt.datetime(2024, 1, 2, 3, 4, 5, 250000, tzinfo=UTC), dt.date(2024, 2, 29),
       0.1, -7)


@check
def quoted_parameters_of_every_type():
    with connect() as c:
        cur = c.cursor()
        cur.execute("DROP TABLE IF EXISTS typed")
        cur.execute("CREATE TABLE typed (id INT PRIMARY KEY, i INT, b BIGINT, n NUMERIC(12,2), "
                    "t TEXT, f BOOLEAN, ts TIMESTAMPTZ, d DATE, fl FLOAT8, s SMALLINT)")
        cur.execute("INSERT INTO typed VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)", ROW)
        cur.execute("INSERT INTO typed (id) VALUES (%s)", (2,))
        c.commit()
        cur.execute("SELECT * FROM typed ORDER BY id")
        rows = cur.fetchall()
        # psycopg2 returns timestamptz in the session zone (UTC here).
        eq(rows[0][:6] + rows[0][7:], ROW[:6] + ROW[7:], "typed row")
        eq(rows[0][6], ROW[6], "timestamptz")
        eq(rows[1], (2,) + (None,) * 9, "NULLs")
        eq([d.type_code for d in cur.description],
           [23, 23, 20, 1700, 25, 16, 1184, 1082, 701, 21], "type OIDs")
        cur.execute("SELECT id FROM typed WHERE ts = %s AND n = %s AND t = %s",
                    (ROW[6], Decimal("100.5"), ROW[4]))
        eq(cur.fetchall(), [(1,)], "WHERE with quoted values")
        cur.execute("SELECT %s::timestamptz, %s, %s, %s", (ROW[6], None, True, Decimal("-0.001")))
        eq(cur.fetchone(), (ROW[6], None, True, Decimal("-0.001")), "quoted literals")
        c.rollback()


@check
def transactions():
    with connect() as c:
        cur = c.cursor()
        cur.execute("DROP TABLE IF EXISTS ledger")
        cur.execute("CREATE TABLE ledger (id INT PRIMARY KEY, amount NUMERIC(10,2) NOT NULL)")
        c.commit()
        cur.execute("INSERT INTO ledger VALUES (1, 1.50)")
        c.rollback()
        cur.execute("SELECT count(*) FROM ledger")
        eq(cur.fetchone(), (0,), "rolled back")
        cur.execute("INSERT INTO ledger VALUES (1, 1.50)")
        cur.execute("INSERT INTO ledger VALUES (2, 2.25); INSERT INTO ledger VALUES (3, 3)")
        c.commit()
        cur.execute("SELECT sum(amount), count(*) FROM ledger")
        eq(cur.fetchone(), (Decimal("6.75"), 3), "committed")
        e = raises(psycopg2.errors.UniqueViolation, cur.execute, "INSERT INTO ledger VALUES (1, 0)")
        eq(e.pgcode, "23505", "SQLSTATE")
        eq(e.diag.constraint_name if not ON_POSTGRES else "ledger_pkey", "ledger_pkey", "constraint")
        eq(c.get_transaction_status(), ext.TRANSACTION_STATUS_INERROR, "in error")
        e = raises(psycopg2.errors.InFailedSqlTransaction, cur.execute, "SELECT 1")
        eq(e.pgcode, "25P02", "25P02")
        c.rollback()
        e = raises(psycopg2.errors.NotNullViolation, cur.execute,
                   "INSERT INTO ledger (id) VALUES (9)")
        eq(e.pgcode, "23502", "NOT NULL")
        c.rollback()
        c.autocommit = True
        cur.execute("UPDATE ledger SET amount = amount * 2 WHERE id >= 2")
        eq(cur.statusmessage, "UPDATE 2", "UPDATE tag")
        cur.execute("DELETE FROM ledger WHERE id = 3")
        eq(cur.statusmessage, "DELETE 1", "DELETE tag")
        cur.execute("SELECT id, amount FROM ledger ORDER BY id")
        eq(cur.fetchall(), [(1, Decimal("1.50")), (2, Decimal("4.50"))], "autocommit writes")


@check
def executemany_and_unicode():
    with connect() as c:
        cur = c.cursor()
        cur.execute("DROP TABLE IF EXISTS names")
        cur.execute("CREATE TABLE names (id INT PRIMARY KEY, name TEXT)")
        names = ["plain", "O'Brien", "Zoë", "東京", "emoji 🎉", "back\\slash", "semi;colon --x"]
        cur.executemany("INSERT INTO names VALUES (%s, %s)", list(enumerate(names)))
        c.commit()
        cur.execute("SELECT name FROM names ORDER BY id")
        eq([r[0] for r in cur.fetchall()], names, "round trip")
        cur.execute("SELECT name FROM names WHERE name = %s", ("O'Brien",))
        eq(cur.fetchall(), [("O'Brien",)], "quoted WHERE")


if __name__ == "__main__":
    run()
