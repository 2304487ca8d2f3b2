//! `driftdb init DIR`. The cases that create a database need the real
//! `Database::open` (they fail while the session layer is a stub).

use std::path::PathBuf;
use std::process::{Command, Output};

/// A fresh, not yet existing path under the temp dir, removed on drop.
struct TempPath(PathBuf);

impl TempPath {
    fn new(tag: &str) -> TempPath {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let p =
            std::env::temp_dir().join(format!("driftdb-cli-{tag}-{}-{nanos}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        TempPath(p)
    }
    fn s(&self) -> &str {
        self.0.to_str().expect("utf-8 temp path")
    }
}

impl Drop for TempPath {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn driftdb(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_driftdb"))
        .args(args)
        .output()
        .expect("run driftdb")
}

#[test]
fn init_refuses_a_non_empty_directory() {
    let t = TempPath::new("init-nonempty");
    std::fs::create_dir_all(&t.0).unwrap();
    std::fs::write(t.0.join("precious.txt"), "keep me").unwrap();
    let o = driftdb(&["init", t.s()]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        format!(
            "driftdb: error: directory \"{}\" exists but is not empty\n",
            t.s()
        )
    );
    assert_eq!(
        std::fs::read_to_string(t.0.join("precious.txt")).unwrap(),
        "keep me"
    );
}

#[test]
fn init_refuses_a_file() {
    let t = TempPath::new("init-file");
    std::fs::write(&t.0, "x").unwrap();
    let o = driftdb(&["init", t.s()]);
    assert_eq!(o.status.code(), Some(1));
    let _ = std::fs::remove_file(&t.0);
}

/// Needs the real `Database::open` / `shutdown`.
#[test]
fn init_creates_a_data_directory_that_sql_can_open() {
    let t = TempPath::new("init-new");
    let o = driftdb(&["init", t.s()]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let abs = std::fs::canonicalize(&t.0).unwrap();
    assert!(
        out.starts_with(&format!(
            "Initialized an empty DriftDB data directory in {}\n",
            abs.display()
        )),
        "{out}"
    );
    assert!(t.0.is_dir());
    assert!(
        std::fs::read_dir(&t.0).unwrap().next().is_some(),
        "init leaves the directory's files"
    );

    let o = driftdb(&["sql", "-d", t.s(), "-e", "SELECT 1 AS one"]);
    assert!(
        o.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        " one \n-----\n   1\n(1 row)\n\n"
    );

    // A second init on the now non-empty directory is refused.
    assert_eq!(driftdb(&["init", t.s()]).status.code(), Some(1));
}
