//! The `tiendo` binary: parse the command line, run it, exit non-zero with
//! one clear line on failure.

use clap::Parser;

/// mimalloc rather than the system allocator: a response is thousands of
/// small allocations freed together, on every worker thread, and glibc's
/// allocator spent a third of the ranking's time on them (perf).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = tiendo::config::Cli::parse();
    match tiendo::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("tiendo: {message}");
            std::process::ExitCode::FAILURE
        }
    }
}
