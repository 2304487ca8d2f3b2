-- psql's describe commands, \gset and :LAST_ERROR_SQLSTATE against DriftDB.
-- The expected output (2_describe.out) is what PostgreSQL 15 prints for this
-- script on an empty database (checked with DRIFTDB_TARGET=postgres).
CREATE TABLE orders (id INT PRIMARY KEY, data VARCHAR);
CREATE TABLE products (
    id integer PRIMARY KEY,
    name varchar(50) NOT NULL,
    price numeric(12,2) DEFAULT 0,
    added timestamptz,
    active boolean DEFAULT true,
    born date,
    weight double precision,
    ratio real,
    stock bigint,
    small smallint,
    code char(3),
    note text,
    stamp timestamp,
    doc json
);
CREATE TABLE pairs (a int, b text, c int NOT NULL, PRIMARY KEY (a, b));
CREATE TABLE nokey (x int);
\dt
\d orders
\d products
\d pairs
\d nokey
\d nosuch
\dt orders
\dt no*
INSERT INTO orders VALUES (1, 'one'), (2, 'two');
SELECT count(*) AS n, max(id) AS top FROM orders \gset
\echo :n :top
SELECT data FROM orders WHERE id = :top;
SELECT * FROM nosuch;
\echo :LAST_ERROR_SQLSTATE
INSERT INTO orders VALUES (1, 'again');
\echo :LAST_ERROR_SQLSTATE :ERROR
SELECT 1 AS ok;
\echo :ERROR :ROW_COUNT
