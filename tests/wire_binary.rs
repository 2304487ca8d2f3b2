//! The `driftdb-server` binary's command line (serving itself is covered
//! in-process by the other wire tests, over the mock backend).

use std::process::Command;

fn server() -> Command {
    Command::new(env!("CARGO_BIN_EXE_driftdb-server"))
}

#[test]
fn version_and_help() {
    let out = server().arg("--version").output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("driftdb-server {}", env!("CARGO_PKG_VERSION"))
    );
    let out = server().arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--data-path <DIR>",
        "--host",
        "--port",
        "--auth-method",
        "DRIFTDB_PASSWORD",
    ] {
        assert!(help.contains(flag), "{flag} missing from:\n{help}");
    }
    assert!(help.contains("[default: 5433]"), "{help}");
    assert!(help.contains("[default: 127.0.0.1]"), "{help}");
}

#[test]
fn bad_arguments_are_refused() {
    let out = server().output().unwrap();
    assert_eq!(out.status.code(), Some(2), "--data-path is required");
    assert!(String::from_utf8_lossy(&out.stderr).contains("--data-path"));
    let out = server()
        .args(["--data-path", "/nonexistent/x", "--auth-method", "plain"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("unknown authentication method \"plain\""),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
