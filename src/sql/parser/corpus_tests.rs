//! Parses every SQL record of the shared sqllogictest corpus.
//!
//! The corpus (`/work/shared/sqllogictest`, or `$DRIFTDB_SLT_DIR`) is what
//! the conformance runner sends; every record must parse. Records are
//! `statement ok|error` or `query <types> ...` lines followed by SQL up to a
//! blank line or `----`.

use std::path::{Path, PathBuf};

use super::parse;

fn corpus_dir() -> PathBuf {
    std::env::var_os("DRIFTDB_SLT_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/work/shared/sqllogictest"))
}

fn test_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|e| panic!("corpus {}: {e}", dir.display()));
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            test_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "test") {
            out.push(path);
        }
    }
}

/// The SQL of each record in one file.
fn records(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if !(line.starts_with("statement ") || line.starts_with("query ")) {
            continue;
        }
        let sql: Vec<&str> = lines
            .by_ref()
            .take_while(|l| !l.trim().is_empty() && *l != "----")
            .collect();
        out.push(sql.join("\n"));
    }
    out
}

#[test]
fn sqllogictest_corpus_parses() {
    let mut files = Vec::new();
    test_files(&corpus_dir(), &mut files);
    files.sort();
    assert!(
        !files.is_empty(),
        "no .test files in {}",
        corpus_dir().display()
    );
    let (mut total, mut failed) = (0usize, Vec::new());
    for file in &files {
        let text = std::fs::read_to_string(file).expect("corpus file is readable");
        for sql in records(&text) {
            total += 1;
            if let Err(e) = parse(&sql) {
                failed.push(format!("{}: {sql}\n    {e}", file.display()));
            }
        }
    }
    println!(
        "sqllogictest corpus: {total} records, {} fail to parse",
        failed.len()
    );
    for f in failed.iter().take(30) {
        println!("{f}");
    }
    assert!(total > 100_000, "corpus unexpectedly small: {total}");
    assert!(
        failed.is_empty(),
        "{} of {total} records fail to parse",
        failed.len()
    );
}
