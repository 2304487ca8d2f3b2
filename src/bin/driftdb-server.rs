//! `driftdb-server`: serves a data directory over the PostgreSQL protocol.
//!
//! Opens (creating if missing) the data directory, sets up the login
//! verifiers (`DRIFTDB_PASSWORD`, else the stored ones, else a generated
//! password logged once), listens, and shuts down cleanly on SIGTERM or
//! SIGINT (a second signal exits at once).

/// mimalloc: see Cargo.toml for why.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

use driftdb::server::{AUTH_TIMEOUT, Server, ServerConfig, stop_on_signals};
use driftdb::sql::session::{Database, DatabaseOptions};
use driftdb::wire::auth::password_store::{self, PASSWORD_ENV};
use driftdb::wire::{AuthMethod, WireConfig};
use driftdb::{Result, log_error, log_info};

/// The one login role and database.
const USER: &str = "driftdb";
const DATABASE: &str = "driftdb";

/// Serves a DriftDB data directory over the PostgreSQL wire protocol.
///
/// Log in as user `driftdb` to database `driftdb`; the password is taken from
/// the DRIFTDB_PASSWORD environment variable, else the stored one is kept,
/// else one is generated and printed once in the log.
#[derive(Debug, Parser)]
#[command(name = "driftdb-server", version, about, long_about)]
struct Args {
    /// Data directory (created if missing).
    #[arg(long, value_name = "DIR")]
    data_path: PathBuf,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// TCP port to listen on.
    #[arg(long, default_value_t = 5433)]
    port: u16,
    /// Password authentication method: scram (SCRAM-SHA-256) or md5.
    #[arg(long, value_name = "METHOD", default_value = "scram")]
    auth_method: AuthMethod,
    /// Page cache (buffer pool) budget in MiB.
    #[arg(long, value_name = "N", default_value_t = 128, value_parser = clap::value_parser!(u64).range(1..=1_048_576))]
    cache_mb: u64,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match serve(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            log_error!("{e}");
            ExitCode::FAILURE
        }
    }
}

fn serve(args: Args) -> Result<()> {
    std::fs::create_dir_all(&args.data_path).map_err(|e| {
        driftdb::Error::Io(format!(
            "could not create data directory \"{}\": {e}",
            args.data_path.display()
        ))
    })?;
    let env_password = std::env::var(PASSWORD_ENV).ok().filter(|p| !p.is_empty());
    let credentials = password_store::load_or_init(&args.data_path, USER, env_password.as_deref())?;
    log_info!("opening database in \"{}\"", args.data_path.display());
    let opts = DatabaseOptions {
        cache_bytes: usize::try_from(args.cache_mb)
            .unwrap_or(usize::MAX)
            .saturating_mul(1 << 20),
        ..DatabaseOptions::default()
    };
    let db = Database::open_with(&args.data_path, opts)?;
    let config = ServerConfig {
        host: args.host,
        port: args.port,
        wire: WireConfig {
            user: USER.into(),
            database: DATABASE.into(),
            auth_method: args.auth_method,
            credentials,
        },
        auth_timeout: AUTH_TIMEOUT,
    };
    let server = Server::bind(config, db)?;
    stop_on_signals(server.shutdown_handle()?)?;
    server.run()
}
