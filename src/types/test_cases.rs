//! Test support: the case tables under `testdata/`, recorded from
//! PostgreSQL 15. One case per line, fields separated by tabs; an expected
//! result `ERR: <message>` means PostgreSQL raised that error.

/// The rows of a tab-separated case table, each with exactly `width` fields.
pub(crate) fn rows(tsv: &'static str, width: usize) -> Vec<Vec<&'static str>> {
    tsv.lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let fields: Vec<&str> = l.split('\t').collect();
            assert_eq!(fields.len(), width, "bad case line: {l:?}");
            fields
        })
        .collect()
}
