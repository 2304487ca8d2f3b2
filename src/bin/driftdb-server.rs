//! `driftdb-server`: serves a data directory over the PostgreSQL protocol.

fn main() {
    eprintln!("driftdb-server: not built yet");
    std::process::exit(1);
}
