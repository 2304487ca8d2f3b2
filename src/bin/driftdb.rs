//! `driftdb`: the command-line tool (init, embedded SQL, REPL). The work is
//! in [`driftdb::cli`]; see `driftdb --help`.

/// mimalloc: see Cargo.toml for why.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(driftdb::cli::args::main());
}
