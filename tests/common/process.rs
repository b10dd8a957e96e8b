//! `tiendo serve` as a real process, for tests of what happens to a
//! process: warm-up, and being killed.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `tiendo serve` process on a free port, killed when dropped.
pub struct ServerProcess {
    child: Child,
    port: u16,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

impl ServerProcess {
    /// Starts `tiendo serve` over `database_url`, with `args` added to
    /// `serve`'s options (the demo settings of the environment ignored).
    pub fn start(database_url: &str, args: &[&str]) -> ServerProcess {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(env!("CARGO_BIN_EXE_tiendo"))
            .args(["--database-url", database_url, "serve"])
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .args(args)
            .env_remove("DATABASE_URL")
            .env_remove("TIENDO_NO_DEMO")
            .env_remove("TIENDO_DEMO")
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start tiendo serve");
        ServerProcess { child, port }
    }

    /// The full URL of `path` on this server.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Kills the process with SIGKILL (no chance to clean up) and reaps it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Waits until `path` answers 200, at most `within`; returns how long
    /// after the call it did.
    pub async fn answers(
        &self,
        client: &reqwest::Client,
        path: &str,
        within: Duration,
    ) -> Duration {
        let asked = Instant::now();
        loop {
            if let Ok(response) = client.get(self.url(path)).send().await
                && response.status() == 200
            {
                return asked.elapsed();
            }
            assert!(
                asked.elapsed() < within,
                "{path} did not answer 200 within {within:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits until the server listens (`/livez` answers), at most 30 s.
    pub async fn listening(&self, client: &reqwest::Client) -> Duration {
        self.answers(client, "/livez", Duration::from_secs(30))
            .await
    }

    /// Waits until the server is ready (`/readyz` answers 200), at most
    /// `within`.
    pub async fn ready(&self, client: &reqwest::Client, within: Duration) -> Duration {
        self.answers(client, "/readyz", within).await
    }

    /// Resident memory of the process, in bytes (Linux).
    pub fn resident_bytes(&self) -> u64 {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).expect("status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .expect("VmRSS")
            * 1024
    }
}
