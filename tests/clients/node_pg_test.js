// node-postgres (pg 8) against DriftDB.
//
// node-pg sends parameterized queries as an unnamed Parse with no parameter
// type OIDs (the server infers them), Bind with text parameters, Describe
// portal, Execute, Sync; `{name: ...}` queries Parse once and reuse the named
// statement; queries without values use the simple protocol; every result is
// text, parsed by type OID (int8 and numeric stay strings)
// (../shared/clients/NEEDS.md). Prints PASS/FAIL per check and
// "N passed, N failed"; exits 1 on any failure.
'use strict';
const assert = require('assert/strict');
const { Client } = require('pg');

const ON_POSTGRES = process.env.DRIFTDB_TARGET === 'postgres';
const config = {
  host: process.env.PGHOST || '127.0.0.1',
  port: Number(process.env.PGPORT || 5433),
  user: process.env.PGUSER || 'driftdb',
  password: process.env.PGPASSWORD || '',
  database: process.env.PGDATABASE || 'driftdb',
};

const checks = [];
const check = (name, fn, opts = {}) => checks.push({ name, fn, ...opts });

async function withClient(fn) {
  const c = new Client(config);
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

async function rejects(promise, code) {
  try {
    await promise;
  } catch (e) {
    assert.equal(e.code, code, `SQLSTATE of "${e.message}"`);
    return e;
  }
  throw new Error(`expected an error with SQLSTATE ${code}`);
}

check('quick_start', () => withClient(async (c) => {
  await c.query('DROP TABLE IF EXISTS events');
  await c.query('CREATE TABLE events (id INT PRIMARY KEY, data VARCHAR)');
  let r = await c.query('INSERT INTO events (id, data) VALUES ($1, $2)', [1, 'original']);
  assert.equal(r.command, 'INSERT');
  assert.equal(r.rowCount, 1);
  r = await c.query('UPDATE events SET data = $1 WHERE id = $2', ['modified', 1]);
  assert.equal(r.rowCount, 1);
  r = await c.query('SELECT * FROM events FOR SYSTEM_TIME AS OF @SEQ:1');
  assert.deepEqual(r.rows, [{ id: 1, data: 'original' }]);
  r = await c.query('SELECT * FROM events');
  assert.deepEqual(r.rows, [{ id: 1, data: 'modified' }]);
  r = await c.query('SELECT data FROM events FOR SYSTEM_TIME AS OF @SEQ:1 WHERE id = $1', [1]);
  assert.deepEqual(r.rows, [{ data: 'original' }]);
}), { driftdbOnly: true });

check('connect_with_scram', async () => {
  await withClient(async (c) => {
    const r = await c.query('SHOW server_version');
    assert.match(r.rows[0].server_version, /^15\./);
    const enc = await c.query('SHOW client_encoding');
    assert.equal(enc.rows[0].client_encoding, 'UTF8');
  });
  const bad = new Client({ ...config, password: 'wrong' });
  const e = await rejects(bad.connect(), '28P01');
  assert.equal(e.message, `password authentication failed for user "${config.user}"`);
});

check('parameters_with_inferred_types', () => withClient(async (c) => {
  await c.query('DROP TABLE IF EXISTS typed');
  await c.query(`CREATE TABLE typed (id INT PRIMARY KEY, i INT, b BIGINT, n NUMERIC(12,2),
    t TEXT, f BOOLEAN, ts TIMESTAMPTZ, d DATE, fl DOUBLE PRECISION, s SMALLINT)`);
  const ts = new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678));
  await c.query('INSERT INTO typed VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)',
    [1, 42, '9007199254740993', '100.50', 'Zoë 東京 \'q\'', true, ts, '2024-02-29', 0.1, -3]);
  await c.query('INSERT INTO typed (id, t) VALUES ($1, $2)', [2, null]);
  const r = await c.query('SELECT * FROM typed ORDER BY id');
  const row = r.rows[0];
  assert.equal(row.i, 42);
  assert.equal(row.b, '9007199254740993'); // int8 stays a string in node-pg
  assert.equal(row.n, '100.50'); // numeric keeps its scale
  assert.equal(row.t, 'Zoë 東京 \'q\'');
  assert.equal(row.f, true);
  assert.equal(row.ts.getTime(), ts.getTime());
  assert.equal(row.d.getFullYear(), 2024);
  assert.equal(row.d.getMonth(), 1);
  assert.equal(row.d.getDate(), 29);
  assert.equal(row.fl, 0.1);
  assert.equal(row.s, -3);
  assert.deepEqual(r.rows[1], { id: 2, i: null, b: null, n: null, t: null, f: null, ts: null,
    d: null, fl: null, s: null });
  assert.deepEqual(r.fields.map((f) => f.dataTypeID), [23, 23, 20, 1700, 25, 16, 1184, 1082, 701, 21]);
  const w = await c.query('SELECT id FROM typed WHERE n >= $1 AND ts = $2 AND f = $3', ['100', ts, true]);
  assert.deepEqual(w.rows, [{ id: 1 }]);
  const e = await c.query('SELECT $1::int + $2::int AS sum, $3 || \'!\' AS t', [40, 2, 'x']);
  assert.deepEqual(e.rows, [{ sum: 42, t: 'x!' }]);
  const cnt = await c.query('SELECT count(*) FROM typed');
  assert.equal(cnt.rows[0].count, '2'); // count(*) is int8
  assert.equal(cnt.fields[0].dataTypeID, 20);
}));

check('named_statements', () => withClient(async (c) => {
  await c.query('DROP TABLE IF EXISTS kv');
  await c.query('CREATE TABLE kv (k TEXT PRIMARY KEY, v INT)');
  for (let i = 0; i < 10; i++) {
    await c.query({ name: 'put', text: 'INSERT INTO kv VALUES ($1, $2)', values: [`k${i}`, i] });
  }
  for (let i = 0; i < 10; i++) {
    const r = await c.query({ name: 'get', text: 'SELECT v FROM kv WHERE k = $1', values: [`k${i}`] });
    assert.deepEqual(r.rows, [{ v: i }]);
  }
  const r = await c.query({ name: 'get', text: 'SELECT v FROM kv WHERE k = $1', values: ['none'] });
  assert.equal(r.rowCount, 0);
  const arr = await c.query({ text: 'SELECT k, v FROM kv ORDER BY v DESC LIMIT 2', rowMode: 'array' });
  assert.deepEqual(arr.rows, [['k9', 9], ['k8', 8]]);
}));

check('transactions_and_errors', () => withClient(async (c) => {
  await c.query('DROP TABLE IF EXISTS acct');
  await c.query('CREATE TABLE acct (id INT PRIMARY KEY, bal NUMERIC(10,2) NOT NULL)');
  await c.query('BEGIN');
  await c.query('INSERT INTO acct VALUES ($1, $2), ($3, $4)', [1, '10.00', 2, '20.00']);
  await c.query('COMMIT');
  await c.query('BEGIN');
  await c.query('UPDATE acct SET bal = bal - $1 WHERE id = $2', ['5', 1]);
  await c.query('ROLLBACK');
  let r = await c.query('SELECT bal FROM acct WHERE id = 1');
  assert.equal(r.rows[0].bal, '10.00');
  await c.query('BEGIN');
  const e = await rejects(c.query('INSERT INTO acct VALUES ($1, $2)', [1, '0']), '23505');
  assert.equal(e.detail, 'Key (id)=(1) already exists.');
  await rejects(c.query('SELECT 1'), '25P02');
  await c.query('ROLLBACK');
  await rejects(c.query('INSERT INTO acct (id) VALUES (3)'), '23502');
  await rejects(c.query('SELEC 1'), '42601');
  await rejects(c.query('SELECT * FROM missing'), '42P01');
  r = await c.query('SELECT count(*) AS n FROM acct; SELECT 2 AS two');
  assert.equal(r.length, 2);
  assert.equal(r[0].rows[0].n, '2');
  assert.equal(r[1].rows[0].two, 2);
  r = await c.query('DELETE FROM acct WHERE id = $1 RETURNING bal', [2]);
  assert.equal(r.command, 'DELETE');
  assert.deepEqual(r.rows, [{ bal: '20.00' }]);
}));

(async () => {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for (const { name, fn, driftdbOnly } of checks) {
    if (driftdbOnly && ON_POSTGRES) {
      console.log(`SKIP ${name} (DriftDB only: time travel)`);
      skipped++;
      continue;
    }
    try {
      await fn();
      console.log(`PASS ${name}`);
      passed++;
    } catch (e) {
      console.log(`FAIL ${name}: ${e.stack || e}`);
      failed++;
    }
  }
  console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  process.exit(failed ? 1 : 0);
})();
