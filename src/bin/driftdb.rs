//! `driftdb`: the command-line tool (init, embedded SQL, REPL).

fn main() {
    eprintln!("driftdb: not built yet");
    std::process::exit(1);
}
