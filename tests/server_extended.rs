//! The extended query protocol against the real server: prepared statements
//! with parameter types given and inferred, binary parameters and binary
//! results for every supported type (compared byte for byte with
//! PostgreSQL's binary formats), RowDescription metadata, portals with row
//! limits, NULLs.

mod server_support;

use std::error::Error;

use postgres::types::private::BytesMut;
use postgres::types::{FromSql, IsNull, ToSql, Type, to_sql_checked};
use server_support::raw::{status, tags};
use server_support::{TestServer, lines};

/// A value in PostgreSQL's binary format, sent and received as raw bytes
/// for whatever type the server says the parameter or column has.
#[derive(Debug, Clone, PartialEq)]
struct Bin(Type, Vec<u8>);

impl ToSql for Bin {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        if *ty != self.0 {
            return Err(format!("parameter type {ty} was inferred, expected {}", self.0).into());
        }
        out.extend_from_slice(&self.1);
        Ok(IsNull::No)
    }
    fn accepts(_: &Type) -> bool {
        true
    }
    to_sql_checked!();
}

impl<'a> FromSql<'a> for Bin {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Bin, Box<dyn Error + Sync + Send>> {
        Ok(Bin(ty.clone(), raw.to_vec()))
    }
    fn accepts(_: &Type) -> bool {
        true
    }
}

/// Microseconds from 2000-01-01 to 2024-01-02 03:04:05.123456.
const TS_MICROS: i64 = 8767 * 86_400_000_000 + (3 * 3600 + 4 * 60 + 5) * 1_000_000 + 123_456;

/// One column of the round-trip table: its SQL type, the wire type, the
/// binary value sent, the binary value expected back, and its text output.
struct Case {
    name: &'static str,
    sql_type: &'static str,
    ty: Type,
    send: Vec<u8>,
    back: Vec<u8>,
    text: &'static str,
}

fn case(
    name: &'static str,
    sql_type: &'static str,
    ty: Type,
    send: Vec<u8>,
    text: &'static str,
) -> Case {
    Case {
        name,
        sql_type,
        ty,
        back: send.clone(),
        send,
        text,
    }
}

/// numeric 12345.678: ndigits 3, weight 1, sign +, dscale 3, base-10000 digits 1 2345 6780.
fn numeric_bytes() -> Vec<u8> {
    [3u16, 1, 0, 3, 1, 2345, 6780]
        .iter()
        .flat_map(|d| d.to_be_bytes())
        .collect()
}

fn cases() -> Vec<Case> {
    let json = br#"{"a": [1, 2.50], "b": null}"#.to_vec();
    vec![
        case(
            "c_i2",
            "SMALLINT",
            Type::INT2,
            (-12345i16).to_be_bytes().to_vec(),
            "-12345",
        ),
        case(
            "c_i4",
            "INTEGER",
            Type::INT4,
            2_147_483_647i32.to_be_bytes().to_vec(),
            "2147483647",
        ),
        case(
            "c_i8",
            "BIGINT",
            Type::INT8,
            i64::MIN.to_be_bytes().to_vec(),
            "-9223372036854775808",
        ),
        case(
            "c_f4",
            "REAL",
            Type::FLOAT4,
            1.5f32.to_be_bytes().to_vec(),
            "1.5",
        ),
        case(
            "c_f8",
            "DOUBLE PRECISION",
            Type::FLOAT8,
            (-1234.0625f64).to_be_bytes().to_vec(),
            "-1234.0625",
        ),
        case(
            "c_num",
            "NUMERIC(10,3)",
            Type::NUMERIC,
            numeric_bytes(),
            "12345.678",
        ),
        case(
            "c_text",
            "TEXT",
            Type::TEXT,
            "héllo ☃ 'q' \"d\"".as_bytes().to_vec(),
            "héllo ☃ 'q' \"d\"",
        ),
        case(
            "c_vc",
            "VARCHAR(20)",
            Type::VARCHAR,
            b"varying".to_vec(),
            "varying",
        ),
        Case {
            name: "c_bp",
            sql_type: "CHAR(5)",
            ty: Type::BPCHAR,
            send: b"ab".to_vec(),
            back: b"ab   ".to_vec(),
            text: "ab   ",
        },
        case("c_bool", "BOOLEAN", Type::BOOL, vec![1], "t"),
        case(
            "c_date",
            "DATE",
            Type::DATE,
            8767i32.to_be_bytes().to_vec(),
            "2024-01-02",
        ),
        case(
            "c_ts",
            "TIMESTAMP",
            Type::TIMESTAMP,
            TS_MICROS.to_be_bytes().to_vec(),
            "2024-01-02 03:04:05.123456",
        ),
        case(
            "c_tstz",
            "TIMESTAMPTZ",
            Type::TIMESTAMPTZ,
            TS_MICROS.to_be_bytes().to_vec(),
            "2024-01-02 03:04:05.123456+00",
        ),
        case(
            "c_json",
            "JSON",
            Type::JSON,
            json,
            r#"{"a": [1, 2.50], "b": null}"#,
        ),
    ]
}

/// Creates `all_types` (id + one column per case) and returns the cases.
fn create_all_types(c: &mut postgres::Client) -> Vec<Case> {
    let cs = cases();
    let cols: Vec<String> = cs
        .iter()
        .map(|k| format!("{} {}", k.name, k.sql_type))
        .collect();
    c.batch_execute(&format!(
        "SET TimeZone = 'UTC'; CREATE TABLE all_types (id INT PRIMARY KEY, {})",
        cols.join(", ")
    ))
    .unwrap();
    cs
}

fn insert_sql(cs: &[Case]) -> String {
    let names: Vec<&str> = cs.iter().map(|k| k.name).collect();
    let params: Vec<String> = (2..cs.len() + 2).map(|i| format!("${i}")).collect();
    format!(
        "INSERT INTO all_types (id, {}) VALUES ($1, {})",
        names.join(", "),
        params.join(", ")
    )
}

#[test]
fn every_type_round_trips_in_binary_with_inferred_parameter_types() {
    let srv = TestServer::start();
    let mut c = srv.client();
    let cs = create_all_types(&mut c);
    // Parse without types: the server infers each from its column.
    let ins = c.prepare(&insert_sql(&cs)).unwrap();
    let mut want_types = vec![Type::INT4];
    want_types.extend(cs.iter().map(|k| k.ty.clone()));
    assert_eq!(ins.params(), &want_types[..]);
    assert!(
        ins.columns().is_empty(),
        "an INSERT without RETURNING has no columns"
    );

    let vals: Vec<Bin> = cs
        .iter()
        .map(|k| Bin(k.ty.clone(), k.send.clone()))
        .collect();
    let mut params: Vec<&(dyn ToSql + Sync)> = vec![&1i32];
    params.extend(vals.iter().map(|v| v as &(dyn ToSql + Sync)));
    assert_eq!(c.execute(&ins, &params).unwrap(), 1);
    // A row of NULLs, sent as NULL parameters.
    let nulls: Vec<Option<Bin>> = cs.iter().map(|_| None).collect();
    let mut params: Vec<&(dyn ToSql + Sync)> = vec![&2i32];
    params.extend(nulls.iter().map(|v| v as &(dyn ToSql + Sync)));
    assert_eq!(c.execute(&ins, &params).unwrap(), 1);

    // Binary results, compared byte for byte.
    let names: Vec<&str> = cs.iter().map(|k| k.name).collect();
    let sel = c
        .prepare(&format!(
            "SELECT {} FROM all_types WHERE id = $1",
            names.join(", ")
        ))
        .unwrap();
    assert_eq!(sel.params(), &[Type::INT4]);
    let row = c.query_one(&sel, &[&1i32]).unwrap();
    for (i, k) in cs.iter().enumerate() {
        assert_eq!(sel.columns()[i].type_(), &k.ty, "{}", k.name);
        let got: Bin = row.get(i);
        assert_eq!(
            got,
            Bin(k.ty.clone(), k.back.clone()),
            "{} in binary",
            k.name
        );
    }
    let row = c.query_one(&sel, &[&2i32]).unwrap();
    for (i, k) in cs.iter().enumerate() {
        assert_eq!(row.get::<_, Option<Bin>>(i), None, "{} is NULL", k.name);
    }
    // Text results of the same values, as PostgreSQL prints them.
    let text = server_support::rows(
        &mut c,
        &format!("SELECT {} FROM all_types ORDER BY id", names.join(", ")),
    );
    for (i, k) in cs.iter().enumerate() {
        assert_eq!(text[0][i].as_deref(), Some(k.text), "{} as text", k.name);
        assert_eq!(text[1][i], None, "{} NULL as text", k.name);
    }
}

#[test]
fn native_client_types_round_trip() {
    let srv = TestServer::start();
    let mut c = srv.client();
    create_all_types(&mut c);
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_micros(1_704_164_645_123_456);
    c.execute(
        "INSERT INTO all_types (id, c_i2, c_i4, c_i8, c_f4, c_f8, c_text, c_vc, c_bp, c_bool, c_ts, c_tstz) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        &[&7i32, &i16::MAX, &-1i32, &(1i64 << 40), &f32::INFINITY, &f64::MIN_POSITIVE, &"", &"x", &"abcde", &false, &t, &t],
    )
    .unwrap();
    let r = c
        .query_one("SELECT c_i2, c_i4, c_i8, c_f4, c_f8, c_text, c_vc, c_bp, c_bool, c_ts, c_tstz, c_num FROM all_types", &[])
        .unwrap();
    assert_eq!(r.get::<_, i16>(0), i16::MAX);
    assert_eq!(r.get::<_, i32>(1), -1);
    assert_eq!(r.get::<_, i64>(2), 1 << 40);
    assert_eq!(r.get::<_, f32>(3), f32::INFINITY);
    assert_eq!(r.get::<_, f64>(4), f64::MIN_POSITIVE);
    assert_eq!(r.get::<_, &str>(5), "");
    assert_eq!(r.get::<_, &str>(6), "x");
    assert_eq!(r.get::<_, &str>(7), "abcde");
    assert!(!r.get::<_, bool>(8));
    assert_eq!(r.get::<_, std::time::SystemTime>(9), t);
    assert_eq!(r.get::<_, std::time::SystemTime>(10), t);
    assert_eq!(r.get::<_, Option<Bin>>(11), None);
    assert_eq!(
        lines(&mut c, "SELECT c_ts, c_tstz, c_f4 FROM all_types"),
        ["2024-01-02 03:04:05.123456|2024-01-02 03:04:05.123456+00|Infinity"]
    );
}

#[test]
fn parameter_types_given_by_the_client_are_kept() {
    let srv = TestServer::start();
    let mut c = srv.client();
    c.batch_execute(
        "CREATE TABLE t (id INT PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'one'), (2, 'two')",
    )
    .unwrap();
    // int8 given for an int4 column.
    let s = c
        .prepare_typed("SELECT v FROM t WHERE id = $1", &[Type::INT8])
        .unwrap();
    assert_eq!(s.params(), &[Type::INT8]);
    assert_eq!(c.query_one(&s, &[&2i64]).unwrap().get::<_, &str>(0), "two");
    // Text given for a cast; inferred for the rest.
    let s = c
        .prepare_typed(
            "SELECT $1::int4 + $2, $3 || v FROM t WHERE id = 1",
            &[Type::TEXT],
        )
        .unwrap();
    assert_eq!(s.params(), &[Type::TEXT, Type::INT4, Type::TEXT]);
    assert_eq!(s.columns()[0].type_(), &Type::INT4);
    assert_eq!(s.columns()[0].name(), "?column?");
    let r = c.query_one(&s, &[&"40", &2i32, &"#"]).unwrap();
    assert_eq!((r.get::<_, i32>(0), r.get::<_, &str>(1)), (42, "#one"));
    // A parameter in a LIMIT, in an UPDATE, and in RETURNING.
    let n = c
        .execute("UPDATE t SET v = $1 WHERE id = $2", &[&"uno", &1i32])
        .unwrap();
    assert_eq!(n, 1);
    let r = c
        .query("SELECT id FROM t ORDER BY id LIMIT $1", &[&1i64])
        .unwrap();
    assert_eq!(r.len(), 1);
    let r = c
        .query_one("DELETE FROM t WHERE id = $1 RETURNING v", &[&1i32])
        .unwrap();
    assert_eq!(r.get::<_, &str>(0), "uno");
    // The same named statement runs many times.
    let ins = c.prepare("INSERT INTO t VALUES ($1, $2)").unwrap();
    for i in 10..20 {
        c.execute(&ins, &[&i, &format!("v{i}")]).unwrap();
    }
    assert_eq!(
        lines(
            &mut c,
            "SELECT count(*), min(v), max(v) FROM t WHERE id >= 10"
        ),
        ["10|v10|v19"]
    );
}

#[test]
fn row_description_carries_type_table_and_column() {
    let srv = TestServer::start();
    let mut c = srv.client();
    let cs = create_all_types(&mut c);
    c.batch_execute("CREATE TABLE other (k BIGINT PRIMARY KEY, w TEXT)")
        .unwrap();
    let s = c.prepare("SELECT * FROM all_types").unwrap();
    let cols = s.columns();
    assert_eq!(cols.len(), cs.len() + 1);
    let oid = cols[0].table_oid().expect("a table OID for a plain column");
    assert!(oid >= 16384, "user table OIDs start at 16384: {oid}");
    for (i, col) in cols.iter().enumerate() {
        assert_eq!(col.table_oid(), Some(oid), "{}", col.name());
        assert_eq!(col.column_id(), Some(i as i16 + 1), "{}", col.name());
        if i > 0 {
            assert_eq!(col.type_(), &cs[i - 1].ty, "{}", col.name());
            assert_eq!(col.name(), cs[i - 1].name);
        }
    }
    let s = c
        .prepare("SELECT w, c_i4 + 1 AS e, 'lit', o.k, c_vc FROM other o, all_types")
        .unwrap();
    let meta: Vec<(&str, u32, Option<u32>, Option<i16>)> = s
        .columns()
        .iter()
        .map(|c| (c.name(), c.type_().oid(), c.table_oid(), c.column_id()))
        .collect();
    let other = meta[0].2.expect("other's OID");
    assert_ne!(other, oid);
    assert_eq!(
        meta,
        [
            ("w", 25, Some(other), Some(2)),
            ("e", 23, None, None),
            ("?column?", 25, None, None),
            ("k", 20, Some(other), Some(1)),
            ("c_vc", 1043, Some(oid), Some(9)),
        ]
    );
    // The same metadata through the simple protocol's RowDescription.
    let mut r = srv.raw();
    let msgs = r.query("SELECT c_num, c_num * 2 FROM all_types");
    let fields = msgs[0].row_description();
    assert_eq!(
        (fields[0].table_oid, fields[0].column_id, fields[0].type_oid),
        (oid, 7, 1700)
    );
    assert_eq!(
        (fields[1].table_oid, fields[1].column_id, fields[1].type_oid),
        (0, 0, 1700)
    );
    assert_eq!((fields[0].format, fields[0].type_len), (0, -1));
}

#[test]
fn portals_return_rows_in_chunks() {
    let srv = TestServer::start();
    let mut c = srv.client();
    c.batch_execute(
        "CREATE TABLE t (id INT PRIMARY KEY); INSERT INTO t VALUES (1), (2), (3), (4), (5)",
    )
    .unwrap();
    let mut tx = c.transaction().unwrap();
    let p = tx
        .bind("SELECT id FROM t WHERE id > $1 ORDER BY id", &[&0i32])
        .unwrap();
    let mut chunks = Vec::new();
    loop {
        let rows = tx.query_portal(&p, 2).unwrap();
        if rows.is_empty() {
            break;
        }
        chunks.push(rows.iter().map(|r| r.get::<_, i32>(0)).collect::<Vec<_>>());
    }
    assert_eq!(chunks, [vec![1, 2], vec![3, 4], vec![5]]);
    tx.commit().unwrap();

    // The same over the raw protocol: PortalSuspended, then the final tag.
    let mut r = srv.raw();
    r.query("BEGIN");
    r.parse("q", "SELECT id FROM t ORDER BY id", &[]);
    r.bind("p", "q", &[], &[1]);
    r.describe(b'P', "p");
    for _ in 0..4 {
        r.execute("p", 2);
    }
    r.sync();
    let msgs = r.until_ready();
    assert_eq!(tags(&msgs), "12TDDsDDsDCCZ", "{msgs:?}");
    assert_eq!(msgs[2].row_description()[0].format, 1);
    assert_eq!(msgs[3].data_row(), [Some(1i32.to_be_bytes().to_vec())]);
    assert_eq!(msgs[10].command_tag(), "SELECT 1");
    assert_eq!(status(&msgs), 'T');
    r.query("COMMIT");
}

#[test]
fn extended_protocol_errors_skip_to_sync_and_keep_the_connection() {
    let srv = TestServer::start();
    let mut r = srv.raw();
    r.query("CREATE TABLE t (id INT PRIMARY KEY)");
    // A bad Parse: ErrorResponse, then everything up to Sync is skipped.
    r.parse("", "SELEC 1", &[]);
    r.bind("", "", &[], &[]);
    r.execute("", 0);
    r.sync();
    let msgs = r.until_ready();
    assert_eq!(tags(&msgs), "EZ", "{msgs:?}");
    assert_eq!(msgs[0].field(b'C').as_deref(), Some("42601"));
    assert_eq!(status(&msgs), 'I');
    // A bad parameter value (text format) is 22P02 at Bind.
    r.parse("", "INSERT INTO t VALUES ($1)", &[]);
    r.bind("", "", &[Some("abc")], &[]);
    r.execute("", 0);
    r.sync();
    let msgs = r.until_ready();
    assert_eq!(tags(&msgs), "1EZ", "{msgs:?}");
    assert_eq!(msgs[1].field(b'C').as_deref(), Some("22P02"));
    assert_eq!(
        msgs[1].field(b'M').as_deref(),
        Some("invalid input syntax for type integer: \"abc\"")
    );
    // Describe of the statement reports the inferred parameter type.
    r.parse("ins", "INSERT INTO t VALUES ($1)", &[]);
    r.describe(b'S', "ins");
    r.bind("", "ins", &[Some("5")], &[]);
    r.execute("", 0);
    r.bind("", "ins", &[None], &[]);
    r.execute("", 0);
    r.sync();
    let msgs = r.until_ready();
    assert_eq!(tags(&msgs), "1tn2C2EZ", "{msgs:?}");
    assert_eq!(msgs[1].body, [0, 1, 0, 0, 0, 23], "one int4 parameter");
    assert_eq!(msgs[4].command_tag(), "INSERT 0 1");
    assert_eq!(msgs[6].field(b'C').as_deref(), Some("23502"));
    assert_eq!(status(&msgs), 'I');
    // The batch was one implicit transaction: the error rolled back the row.
    let msgs = r.query("SELECT count(*) FROM t");
    assert_eq!(msgs[1].data_row(), [Some(b"0".to_vec())]);
    // An unknown statement name.
    r.bind("", "nosuch", &[], &[]);
    r.sync();
    let msgs = r.until_ready();
    assert_eq!(msgs[0].field(b'C').as_deref(), Some("26000"), "{msgs:?}");
    let msgs = r.query("SELECT 1");
    assert_eq!(tags(&msgs), "TDCZ");
    srv.assert_no_panic();
}

/// PostgreSQL 15's binary `numeric` for each value (read from it with
/// `SELECT '<v>'::numeric` in binary): ndigits, weight, sign, dscale, then
/// base-10000 digits, with leading and trailing zero digits stripped.
const NUMERIC_BINARY: &[(&str, &str)] = &[
    ("0", "0000000000000000"),
    ("0.000", "0000000000000003"),
    ("-0.5", "0001ffff400000011388"),
    ("100000000", "00010002000000000001"),
    ("0.0001", "0001ffff000000040001"),
    (
        "12345678901234567890.123",
        "000600040000000304d2162e23340d801ed204ce",
    ),
    ("-1.10", "0002000040000002000103e8"),
    (
        "99999999999999999999999999999999999999",
        "000a0009000000000063270f270f270f270f270f270f270f270f270f",
    ),
    ("0.00000000000000000001", "0001fffb000000140001"),
    ("10000.0001", "0003000100000004000100000001"),
    (
        "-123456789.987654321",
        "0006000240000009000109291a852694153803e8",
    ),
];

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn numeric_binary_format_matches_postgres_exactly() {
    let srv = TestServer::start();
    let mut c = srv.client();
    c.batch_execute("CREATE TABLE n (id INT PRIMARY KEY, v NUMERIC)")
        .unwrap();
    for (i, (text, hex)) in NUMERIC_BINARY.iter().enumerate() {
        let bytes = unhex(hex);
        // Text in, binary out.
        let r = c
            .query_one(&format!("SELECT '{text}'::numeric"), &[])
            .unwrap();
        assert_eq!(r.get::<_, Bin>(0).1, bytes, "{text} in binary");
        // Binary in (as a parameter), text out, through a table.
        c.execute(
            "INSERT INTO n VALUES ($1, $2)",
            &[&(i as i32), &Bin(Type::NUMERIC, bytes.clone())],
        )
        .unwrap();
        let shown = server_support::scalar(&mut c, &format!("SELECT v FROM n WHERE id = {i}"));
        assert_eq!(shown, *text, "binary {hex} as text");
    }
    // A non-canonical encoding (a trailing zero digit) means the same value.
    let r = c
        .query_one(
            "SELECT $1::numeric + 1",
            &[&Bin(Type::NUMERIC, unhex("000200000000000000070000"))],
        )
        .unwrap();
    assert_eq!(r.get::<_, Bin>(0).1, unhex("00010000000000000008"));
    // Malformed numerics are refused as PostgreSQL refuses them (a digit
    // >= 10000, a scale or sign out of range: 22P03; truncated: 08P01 there,
    // either code here), and the session goes on.
    for bad in [
        "0001",
        "0001000000000000ffff",
        "000100000000ffff0001",
        "0001000080000000000a",
    ] {
        let e = c
            .query_one("SELECT $1::numeric", &[&Bin(Type::NUMERIC, unhex(bad))])
            .unwrap_err();
        let code = e.as_db_error().map(|d| d.code().code().to_string());
        let ok = match bad {
            "0001" => matches!(code.as_deref(), Some("22P03" | "08P01")),
            _ => code.as_deref() == Some("22P03"),
        };
        assert!(ok, "{bad}: {e:?}");
        assert_eq!(server_support::scalar(&mut c, "SELECT 1"), "1");
    }
    srv.assert_no_panic();
}

#[test]
fn portals_end_with_their_transaction() {
    // As in PostgreSQL: every (non-holdable) portal is dropped when its
    // transaction ends, by COMMIT or ROLLBACK as well as by Sync.
    let srv = TestServer::start();
    let mut r = srv.raw();
    r.query("CREATE TABLE t (id INT PRIMARY KEY); INSERT INTO t VALUES (1), (2), (3)");
    for end in ["COMMIT", "ROLLBACK", "COMMIT; BEGIN"] {
        r.query("BEGIN");
        r.parse("", "SELECT id FROM t ORDER BY id", &[]);
        r.bind("p", "", &[], &[]);
        r.execute("p", 1);
        r.sync();
        assert_eq!(tags(&r.until_ready()), "12DsZ", "{end}");
        r.query(end);
        r.execute("p", 1);
        r.sync();
        let msgs = r.until_ready();
        assert_eq!(tags(&msgs), "EZ", "{end}: {msgs:?}");
        assert_eq!(msgs[0].field(b'C').as_deref(), Some("34000"), "{end}");
        assert_eq!(
            msgs[0].field(b'M').as_deref(),
            Some("portal \"p\" does not exist")
        );
        r.query("ROLLBACK");
    }
    // Outside a block, Sync ends the implicit transaction and its portals.
    r.parse("", "SELECT id FROM t ORDER BY id", &[]);
    r.bind("q", "", &[], &[]);
    r.execute("q", 1);
    r.sync();
    assert_eq!(tags(&r.until_ready()), "12DsZ");
    r.execute("q", 1);
    r.sync();
    assert_eq!(tags(&r.until_ready()), "EZ");
}
