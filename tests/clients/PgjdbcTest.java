// pgjdbc (42.5) against DriftDB.
//
// pgjdbc sends everything, BEGIN included, through Parse/Bind/Execute; with
// autocommit off BEGIN goes in the same Sync batch as the next statement;
// parameter OIDs int4, varchar (setString), numeric, bool, unspecified (0)
// for setTimestamp, timestamptz for OffsetDateTime; after 5 executions a
// statement becomes the named statement S_n with binary results for int4,
// numeric and timestamptz. DatabaseMetaData and ResultSetMetaData query the
// catalog (../shared/clients/NEEDS.md). Prints PASS/FAIL per check and
// "N passed, N failed"; exits 1 on any failure.

import java.math.BigDecimal;
import java.sql.*;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.*;

public class PgjdbcTest {
    static final boolean ON_POSTGRES = "postgres".equals(System.getenv("DRIFTDB_TARGET"));
    static final String URL = "jdbc:postgresql://" + env("PGHOST", "127.0.0.1") + ":"
            + env("PGPORT", "5433") + "/" + env("PGDATABASE", "driftdb");
    static final String USER = env("PGUSER", "driftdb");
    static final String PASSWORD = env("PGPASSWORD", "");

    static String env(String k, String d) {
        String v = System.getenv(k);
        return v == null ? d : v;
    }

    interface Check {
        void run() throws Exception;
    }

    static Connection connect() throws SQLException {
        return DriverManager.getConnection(URL, USER, PASSWORD);
    }

    static void eq(Object actual, Object expected, String what) {
        if (!Objects.equals(actual, expected)) {
            throw new AssertionError(what + ": expected <" + expected + "> got <" + actual + ">");
        }
    }

    static SQLException expectError(String sqlstate, Check c) throws Exception {
        try {
            c.run();
        } catch (SQLException e) {
            eq(e.getSQLState(), sqlstate, "SQLSTATE of \"" + e.getMessage() + "\"");
            return e;
        }
        throw new AssertionError("expected SQLSTATE " + sqlstate);
    }

    static List<List<Object>> rows(ResultSet rs) throws SQLException {
        List<List<Object>> out = new ArrayList<>();
        int n = rs.getMetaData().getColumnCount();
        while (rs.next()) {
            List<Object> row = new ArrayList<>();
            for (int i = 1; i <= n; i++) row.add(rs.getObject(i));
            out.add(row);
        }
        return out;
    }

    static void quickStart() throws Exception {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            s.execute("DROP TABLE IF EXISTS events");
            s.execute("CREATE TABLE events (id INT PRIMARY KEY, data VARCHAR)");
            try (PreparedStatement p = c.prepareStatement("INSERT INTO events (id, data) VALUES (?, ?)")) {
                p.setInt(1, 1);
                p.setString(2, "original");
                eq(p.executeUpdate(), 1, "INSERT count");
            }
            eq(s.executeUpdate("UPDATE events SET data = 'modified' WHERE id = 1"), 1, "UPDATE count");
            eq(rows(s.executeQuery("SELECT * FROM events FOR SYSTEM_TIME AS OF @SEQ:1")),
                    List.of(List.of(1, "original")), "AS OF @SEQ:1");
            eq(rows(s.executeQuery("SELECT * FROM events")), List.of(List.of(1, "modified")), "current");
        }
    }

    static void connectWithScram() throws Exception {
        try (Connection c = connect()) {
            DatabaseMetaData md = c.getMetaData();
            eq(md.getDatabaseMajorVersion(), 15, "major version");
            eq(md.getDatabaseProductName(), "PostgreSQL", "product");
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SHOW extra_float_digits")) {
                rs.next();
                eq(rs.getString(1), "3", "pgjdbc sets extra_float_digits");
            }
        }
        SQLException e = expectError("28P01", () -> DriverManager.getConnection(URL, USER, "wrong").close());
        eq(e.getMessage().contains("password authentication failed for user \"" + USER + "\""), true,
                "message " + e.getMessage());
    }

    static final OffsetDateTime TS = OffsetDateTime.of(2024, 1, 2, 3, 4, 5, 123456000, ZoneOffset.UTC);

    static void makeTyped(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("DROP TABLE IF EXISTS typed");
            s.execute("CREATE TABLE typed (id INT PRIMARY KEY, i INT, b BIGINT, n NUMERIC(12,2), "
                    + "t VARCHAR(40), f BOOLEAN, ts TIMESTAMPTZ, d DATE, fl DOUBLE PRECISION, r REAL, "
                    + "tsz TIMESTAMPTZ)");
        }
        try (PreparedStatement p = c.prepareStatement(
                "INSERT INTO typed VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            p.setInt(1, 1);
            p.setInt(2, Integer.MIN_VALUE);
            p.setLong(3, 9007199254740993L);
            p.setBigDecimal(4, new BigDecimal("100.50"));
            p.setString(5, "Zoë 東京 'q'");
            p.setBoolean(6, true);
            p.setObject(7, TS);
            p.setDate(8, java.sql.Date.valueOf(LocalDate.of(2024, 2, 29)));
            p.setDouble(9, 0.1);
            p.setFloat(10, 1.5f);
            p.setTimestamp(11, Timestamp.from(TS.toInstant()));
            p.executeUpdate();
            p.setInt(1, 2);
            for (int i = 2; i <= 11; i++) p.setNull(i, Types.NULL);
            p.executeUpdate();
        }
    }

    static void parametersOfEveryType() throws Exception {
        try (Connection c = connect()) {
            makeTyped(c);
            try (PreparedStatement p = c.prepareStatement("SELECT * FROM typed WHERE id = ?")) {
                p.setInt(1, 1);
                ResultSet rs = p.executeQuery();
                eq(rs.next(), true, "a row");
                eq(rs.getInt("i"), Integer.MIN_VALUE, "int");
                eq(rs.getLong("b"), 9007199254740993L, "bigint");
                eq(rs.getBigDecimal("n"), new BigDecimal("100.50"), "numeric");
                eq(rs.getString("t"), "Zoë 東京 'q'", "varchar");
                eq(rs.getBoolean("f"), true, "bool");
                eq(rs.getObject("ts", OffsetDateTime.class).toInstant(), TS.toInstant(), "timestamptz");
                eq(rs.getDate("d").toLocalDate(), LocalDate.of(2024, 2, 29), "date");
                eq(rs.getDouble("fl"), 0.1, "float8");
                eq(rs.getFloat("r"), 1.5f, "float4");
                eq(rs.getTimestamp("tsz").toInstant(), TS.toInstant(), "setTimestamp");
                ResultSetMetaData md = rs.getMetaData();
                List<String> names = new ArrayList<>();
                for (int i = 1; i <= md.getColumnCount(); i++) names.add(md.getColumnTypeName(i));
                eq(names, List.of("int4", "int4", "int8", "numeric", "varchar", "bool", "timestamptz",
                        "date", "float8", "float4", "timestamptz"), "column type names");
                eq(md.isNullable(1), ResultSetMetaData.columnNoNulls, "id NOT NULL");
                eq(md.isNullable(2), ResultSetMetaData.columnNullable, "i nullable");
                eq(md.getTableName(1), "typed", "table name");
            }
            try (PreparedStatement p = c.prepareStatement("SELECT i, t FROM typed WHERE id = ?")) {
                p.setInt(1, 2);
                ResultSet rs = p.executeQuery();
                rs.next();
                rs.getInt(1);
                eq(rs.wasNull(), true, "NULL int");
                eq(rs.getString(2), null, "NULL text");
            }
        }
    }

    static void serverPreparedBinary() throws Exception {
        try (Connection c = connect()) {
            makeTyped(c);
            try (PreparedStatement p = c.prepareStatement("SELECT i, n, ts, t, f FROM typed WHERE id = ?")) {
                for (int run = 0; run < 8; run++) {  // prepareThreshold is 5: named S_n, binary results
                    p.setInt(1, 1);
                    try (ResultSet rs = p.executeQuery()) {
                        eq(rs.next(), true, "row in run " + run);
                        eq(rs.getInt(1), Integer.MIN_VALUE, "int run " + run);
                        eq(rs.getBigDecimal(2), new BigDecimal("100.50"), "numeric run " + run);
                        eq(rs.getObject(3, OffsetDateTime.class).toInstant(), TS.toInstant(), "ts run " + run);
                        eq(rs.getString(4), "Zoë 東京 'q'", "text run " + run);
                        eq(rs.getBoolean(5), true, "bool run " + run);
                    }
                }
            }
        }
    }

    static void transactionsAndBatches() throws Exception {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            s.execute("DROP TABLE IF EXISTS acct");
            s.execute("CREATE TABLE acct (id INT PRIMARY KEY, bal NUMERIC(10,2))");
            c.setAutoCommit(false);
            try (PreparedStatement p = c.prepareStatement("INSERT INTO acct VALUES (?, ?)")) {
                for (int i = 1; i <= 20; i++) {
                    p.setInt(1, i);
                    p.setBigDecimal(2, BigDecimal.valueOf(i, 1));
                    p.addBatch();
                }
                int[] counts = p.executeBatch();
                eq(counts.length, 20, "batch size");
                eq(counts[0], 1, "batch count");
            }
            c.commit();
            s.executeUpdate("UPDATE acct SET bal = 0");
            c.rollback();
            try (ResultSet rs = s.executeQuery("SELECT sum(bal), count(*) FROM acct")) {
                rs.next();
                eq(rs.getBigDecimal(1), new BigDecimal("21.00"), "sum after rollback");
                eq(rs.getLong(2), 20L, "count");
            }
            c.commit();
            expectError("23505", () -> s.executeUpdate("INSERT INTO acct VALUES (1, 0)"));
            expectError("25P02", () -> s.executeQuery("SELECT 1"));
            c.rollback();
            for (int i = 0; i < 7; i++) {  // COMMIT/ROLLBACK become named statements too
                s.executeUpdate("UPDATE acct SET bal = bal + 1 WHERE id = 1");
                if (i % 2 == 0) c.commit(); else c.rollback();
            }
            try (ResultSet rs = s.executeQuery("SELECT bal FROM acct WHERE id = 1")) {
                rs.next();
                eq(rs.getBigDecimal(1), new BigDecimal("4.10"), "4 commits, 3 rollbacks");
            }
            c.setAutoCommit(true);
        }
    }

    static void databaseMetaData() throws Exception {
        try (Connection c = connect()) {
            makeTyped(c);
            DatabaseMetaData md = c.getMetaData();
            List<String> tables = new ArrayList<>();
            try (ResultSet rs = md.getTables(null, "public", "typed", new String[] {"TABLE"})) {
                while (rs.next()) tables.add(rs.getString("TABLE_NAME") + ":" + rs.getString("TABLE_TYPE"));
            }
            eq(tables, List.of("typed:TABLE"), "getTables");
            // Not checked yet, and said so: getColumns' query uses a window
            // function (row_number() OVER (PARTITION BY ...)) and
            // getPrimaryKeys' uses information_schema._pg_expandarray(),
            // which DriftDB does not have yet.
            System.out.println("NOTE database_metadata: getColumns and getPrimaryKeys are not supported yet "
                    + "(window functions, information_schema._pg_expandarray)");
        }
    }

    public static void main(String[] args) throws Exception {
        Map<String, Check> checks = new LinkedHashMap<>();
        checks.put("quick_start", PgjdbcTest::quickStart);
        checks.put("connect_with_scram", PgjdbcTest::connectWithScram);
        checks.put("parameters_of_every_type", PgjdbcTest::parametersOfEveryType);
        checks.put("server_prepared_binary", PgjdbcTest::serverPreparedBinary);
        checks.put("transactions_and_batches", PgjdbcTest::transactionsAndBatches);
        checks.put("database_metadata", PgjdbcTest::databaseMetaData);
        int passed = 0, failed = 0, skipped = 0;
        for (Map.Entry<String, Check> e : checks.entrySet()) {
            if (ON_POSTGRES && e.getKey().equals("quick_start")) {
                System.out.println("SKIP quick_start (DriftDB only: time travel)");
                skipped++;
                continue;
            }
            try {
                e.getValue().run();
                System.out.println("PASS " + e.getKey());
                passed++;
            } catch (Throwable t) {
                System.out.println("FAIL " + e.getKey() + ": " + t);
                for (StackTraceElement el : t.getStackTrace()) {
                    if (el.getClassName().startsWith("PgjdbcTest")) System.out.println("    at " + el);
                }
                failed++;
            }
        }
        System.out.println(passed + " passed, " + failed + " failed" + (skipped > 0 ? ", " + skipped + " skipped" : ""));
        System.exit(failed > 0 ? 1 : 0);
    }
}
