//! `driftdb --help`, `--version` and argument errors: the parts of the CLI
//! that do not touch a database.

use std::process::{Command, Output};

fn driftdb(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_driftdb"))
        .args(args)
        .output()
        .expect("run driftdb")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn version_prints_the_package_version() {
    let o = driftdb(&["--version"]);
    assert!(o.status.success());
    assert_eq!(
        stdout(&o),
        format!("driftdb {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn help_lists_the_commands() {
    let o = driftdb(&["--help"]);
    assert!(o.status.success());
    let s = stdout(&o);
    assert!(s.contains("init"), "{s}");
    assert!(s.contains("sql"), "{s}");
    assert!(s.contains("--version"), "{s}");
}

#[test]
fn every_command_has_help() {
    let o = driftdb(&["init", "--help"]);
    assert!(o.status.success());
    assert!(stdout(&o).contains("<DIR>"), "{}", stdout(&o));

    let o = driftdb(&["sql", "--help"]);
    assert!(o.status.success());
    let s = stdout(&o);
    for flag in [
        "--data-path",
        "--execute",
        "--file",
        "--cache-mb",
        "--on-error-stop",
        "--quiet",
    ] {
        assert!(s.contains(flag), "missing {flag} in:\n{s}");
    }

    let o = driftdb(&["help", "sql"]);
    assert!(o.status.success());
    assert!(stdout(&o).contains("--data-path"));
}

#[test]
fn usage_errors_exit_2_with_a_message() {
    let o = driftdb(&[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("Usage"), "{}", stderr(&o));

    let o = driftdb(&["sql", "-e", "select 1"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--data-path"), "{}", stderr(&o));

    let o = driftdb(&["sql", "-d", "x", "-e", "select 1", "-f", "y.sql"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("cannot be used with"), "{}", stderr(&o));
}

#[test]
fn sql_on_a_missing_directory_says_how_to_create_it() {
    let dir = std::env::temp_dir().join(format!("driftdb-cli-missing-{}", std::process::id()));
    let d = dir.to_str().expect("utf-8 temp path");
    let o = driftdb(&["sql", "-d", d, "-e", "select 1"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        format!(
            "driftdb: error: data directory \"{d}\" does not exist (create it with: driftdb init {d})\n"
        )
    );
    assert!(!dir.exists(), "sql must not create a data directory");
}
