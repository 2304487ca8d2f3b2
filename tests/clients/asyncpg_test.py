"""asyncpg against DriftDB.

asyncpg names every statement (``__asyncpg_stmt_N__``): Parse without
parameter OIDs, Describe statement (it needs ParameterDescription and
RowDescription/NoData before binding), Bind with all-binary parameters and
results, Execute with ``max_rows=1`` for fetchrow/fetchval (PortalSuspended),
pipelined Bind/Execute pairs for executemany, simple BEGIN/COMMIT/ROLLBACK
(../shared/clients/NEEDS.md).
"""

import datetime as dt
from decimal import Decimal

import asyncpg

from harness import (DATABASE, HOST, ON_POSTGRES, PASSWORD, PORT, USER, araises, check,
                     eq, run)

UTC = dt.timezone.utc


async def connect():
    return await asyncpg.connect(host=HOST, port=PORT, user=USER, password=PASSWORD,
                                 database=DATABASE,
                                 server_settings={"application_name": "asyncpg-test"})


@check(driftdb_only=True)
async def quick_start():
    c = await connect()
    await c.execute("DROP TABLE IF EXISTS events")
    await c.execute("CREATE TABLE events (id INT PRIMARY KEY, data VARCHAR)")
    eq(await c.execute("INSERT INTO events (id, data) VALUES ($1, $2)", 1, "original"),
       "INSERT 0 1", "INSERT")
    eq(await c.execute("UPDATE events SET data = $1 WHERE id = $2", "modified", 1),
       "UPDATE 1", "UPDATE")
    rows = await c.fetch("SELECT * FROM events FOR SYSTEM_TIME AS OF @SEQ:1")
    eq([tuple(r) for r in rows], [(1, "original")], "AS OF @SEQ:1")
    eq(tuple(await c.fetchrow("SELECT * FROM events")), (1, "modified"), "current")
    start = await c.fetchval("SELECT system_time_start FROM events FOR SYSTEM_TIME AS OF @SEQ:1")
    eq(start.tzinfo is not None, True, "system_time_start is timestamptz")
    eq(await c.fetchval("SELECT data FROM events FOR SYSTEM_TIME AS OF $1::timestamptz", start),
       "original", "AS OF a timestamptz parameter")
    await c.close()


@check
async def connect_with_scram():
    c = await connect()
    eq(c.get_server_version().major, 15, "server version")
    eq(c.get_settings().application_name, "asyncpg-test", "application_name")
    eq(await c.fetchval("SELECT current_setting('application_name')"), "asyncpg-test",
       "current_setting")
    await c.close()
    e = await araises(asyncpg.InvalidPasswordError,
                      asyncpg.connect(host=HOST, port=PORT, user=USER, password="nope",
                                      database=DATABASE))
    eq(e.sqlstate, "28P01", "bad password")


ROW = (1, -2147483648, 9007199254740993, 12, Decimal("100.50"), "Zoë 東京", "vc", False,
       dt.datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=UTC), dt.date(1999, 12, 31),
       -1.25e-5, 0.5)


async def make_typed(c):
    await c.execute("DROP TABLE IF EXISTS typed")
    await c.execute("CREATE TABLE typed (id INT PRIMARY KEY, i INT, b BIGINT, s SMALLINT, "
                    "n NUMERIC(12,2), t TEXT, v VARCHAR(10), f BOOLEAN, ts TIMESTAMPTZ, "
                    "d DATE, fl DOUBLE PRECISION, r REAL)")
    await c.execute("INSERT INTO typed VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                    *ROW)
    await c.execute("INSERT INTO typed (id) VALUES ($1)", 2)


@check
async def binary_parameters_and_results():
    c = await connect()
    await make_typed(c)
    rows = await c.fetch("SELECT * FROM typed ORDER BY id")
    eq(tuple(rows[0]), ROW, "typed row")
    eq(tuple(rows[1]), (2,) + (None,) * 11, "NULL row")
    r = await c.fetchrow("SELECT * FROM typed WHERE n = $1 AND ts = $2 AND d = $3 AND f = $4",
                         ROW[4], ROW[8], ROW[9], ROW[7])
    eq(r["t"], ROW[5], "WHERE with binary parameters")
    eq(await c.fetchval("SELECT $1::numeric(10,3) + 1", Decimal("1.5")), Decimal("2.500"),
       "numeric")
    eq(await c.fetchval("SELECT $1::int8 * 2", 2**40), 2**41, "int8")
    eq(await c.fetchval("SELECT $1 || '!'", "text"), "text!", "inferred text")
    eq(await c.fetchval("SELECT count(*) FROM typed"), 2, "count(*)")
    await c.close()


@check
async def prepared_statements_describe_types():
    c = await connect()
    await make_typed(c)
    stmt = await c.prepare("SELECT id, n, ts, t FROM typed WHERE id = $1 AND b > $2")
    eq([t.name for t in stmt.get_parameters()], ["int4", "int8"], "parameter types")
    eq([(a.name, a.type.name) for a in stmt.get_attributes()],
       [("id", "int4"), ("n", "numeric"), ("ts", "timestamptz"), ("t", "text")], "columns")
    for _ in range(7):
        eq(await stmt.fetchval(1, 0), 1, "fetchval")
    eq(tuple(await stmt.fetchrow(1, 0)), (1, ROW[4], ROW[8], ROW[5]), "fetchrow")
    eq(await stmt.fetch(2, 0), [], "no rows")
    await c.close()


@check
async def cursors_fetch_in_pieces():
    c = await connect()
    await c.execute("DROP TABLE IF EXISTS many")
    await c.execute("CREATE TABLE many (id INT PRIMARY KEY, v TEXT)")
    await c.executemany("INSERT INTO many VALUES ($1, $2)", [(i, str(i)) for i in range(250)])
    eq(await c.fetchval("SELECT count(*) FROM many"), 250, "executemany")
    async with c.transaction():
        seen = [r["id"] async for r in c.cursor("SELECT id FROM many ORDER BY id", prefetch=40)]
        eq(seen, list(range(250)), "cursor with prefetch (PortalSuspended)")
        cur = await c.cursor("SELECT v FROM many WHERE id >= $1 ORDER BY id", 245)
        eq([r["v"] for r in await cur.fetch(3)], ["245", "246", "247"], "cursor.fetch")
        eq((await cur.fetchrow())["v"], "248", "cursor.fetchrow")
    await c.close()


@check
async def transactions_and_errors():
    c = await connect()
    await c.execute("DROP TABLE IF EXISTS acct")
    await c.execute("CREATE TABLE acct (id INT PRIMARY KEY, bal NUMERIC(10,2))")
    async with c.transaction():
        await c.execute("INSERT INTO acct VALUES (1, 10), (2, 20)")
    try:
        async with c.transaction():
            await c.execute("UPDATE acct SET bal = bal - 5 WHERE id = 1")
            raise RuntimeError("abort")
    except RuntimeError:
        pass
    eq(await c.fetchval("SELECT bal FROM acct WHERE id = 1"), Decimal("10.00"), "rolled back")
    e = await araises(asyncpg.UniqueViolationError, c.execute("INSERT INTO acct VALUES (1, 0)"))
    eq(e.sqlstate, "23505", "duplicate key")
    eq(e.constraint_name if not ON_POSTGRES else "acct_pkey", "acct_pkey", "constraint name")
    eq(e.detail, "Key (id)=(1) already exists.", "detail")
    tr = c.transaction()
    await tr.start()
    await araises(asyncpg.UndefinedTableError, c.fetch("SELECT * FROM nope"))
    await araises(asyncpg.InFailedSQLTransactionError, c.fetch("SELECT 1"))
    await tr.rollback()
    eq(await c.fetchval("SELECT sum(bal) FROM acct"), Decimal("30.00"), "after rollback")
    await c.close()


if __name__ == "__main__":
    run()
