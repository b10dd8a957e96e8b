//! The `tiendo` binary: parse the command line, run it, exit non-zero with
//! one clear line on failure.

use clap::Parser;

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
