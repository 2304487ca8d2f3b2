//! `driftdb`: the command-line tool (init, embedded SQL, REPL). The work is
//! in [`driftdb::cli`]; see `driftdb --help`.

fn main() {
    std::process::exit(driftdb::cli::args::main());
}
