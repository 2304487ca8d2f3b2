-- driftdb-only: the quick start of issue 2, verbatim, then time travel with
-- a seq noted through \gset. The expected output is DriftDB's (PostgreSQL
-- has no FOR SYSTEM_TIME); every other line is as PostgreSQL prints it.
CREATE TABLE events (id INT PRIMARY KEY, data VARCHAR);
INSERT INTO events (id, data) VALUES (1, 'original');
UPDATE events SET data = 'modified' WHERE id = 1;
SELECT * FROM events FOR SYSTEM_TIME AS OF @SEQ:1;  -- shows 'original'
SELECT * FROM events;                                 -- shows 'modified'
SELECT driftdb_current_seq() AS before \gset
DELETE FROM events WHERE id = 1;
SELECT 'AS OF @SEQ:' || :before AS asof \gset
SELECT count(*) FROM events;
SELECT * FROM events FOR SYSTEM_TIME :asof;
SELECT id, data, system_seq_start, system_seq_end FROM events FOR SYSTEM_TIME ALL ORDER BY system_seq_start;
SELECT * FROM events FOR SYSTEM_TIME AS OF 'not a time';
\echo :LAST_ERROR_SQLSTATE
\d events
DROP TABLE events;  -- the next script starts from an empty schema
