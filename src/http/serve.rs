//! The accept loop: every connection is counted, slow or idle clients are
//! timed out, and the server stops gracefully.
//!
//! `axum::serve` takes every connection it is offered and waits on a
//! client for ever. Here, instead:
//!
//! - at most `--max-connections` are open at once; one more is answered
//!   `503 Service Unavailable` with a GraphQL error (`UNAVAILABLE`) and
//!   `Retry-After`, and closed (at most [`REFUSING_AT_ONCE`] refusals are
//!   being written at a time; beyond that a connection is simply closed);
//! - a client has `--header-read-timeout-ms` to send a request's headers,
//!   and an idle keep-alive connection is closed after the same time
//!   (hyper's header read timeout starts when the connection waits for a
//!   request); the body read timeout is the handler's (`--body-read-timeout-ms`).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

/// Refusals being written at once (each holds a socket for at most
/// [`REFUSAL_TIME`]).
pub const REFUSING_AT_ONCE: usize = 256;

/// Longest a refusal may take to write and drain.
const REFUSAL_TIME: Duration = Duration::from_secs(1);

/// Longest requests in flight get to finish once the server stops.
const DRAIN_TIME: Duration = Duration::from_secs(30);

/// What the loop enforces.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Open connections at once.
    pub max_connections: usize,
    /// Time to send a request's headers (and to stay idle).
    pub header_read_timeout: Duration,
}

/// Serves `router` on `listener` until `shutdown` completes, then lets the
/// requests in flight finish (for at most 30 s).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let open = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let refusing = Arc::new(Semaphore::new(REFUSING_AT_ONCE));
    // Told to every connection when the server stops.
    let (stopping, stop) = tokio::sync::watch::channel(false);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of file descriptors and the like: wait a moment
                    // rather than spin.
                    tracing::warn!(error = %err, "accept failed");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(permit) = open.clone().try_acquire_owned() else {
            if let Ok(refusal) = refusing.clone().try_acquire_owned() {
                tokio::spawn(async move {
                    let _ = tokio::time::timeout(REFUSAL_TIME, refuse(stream)).await;
                    drop(refusal);
                });
            }
            continue;
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<_>| {
            request
                .extensions_mut()
                .insert(ConnectInfo::<SocketAddr>(peer));
            let mut router = router.clone();
            async move {
                tower_service::Service::call(&mut router, request.map(axum::body::Body::new)).await
            }
        });
        // Upgrades stay possible (WebSocket subscriptions).
        let connection = http
            .serve_connection(TokioIo::new(stream), service)
            .with_upgrades();
        let mut stop = stop.clone();
        tokio::spawn(async move {
            tokio::pin!(connection);
            let ended = tokio::select! {
                ended = connection.as_mut() => ended,
                _ = async { stop.wait_for(|stopping| *stopping).await.map(|_| ()) } => {
                    // Finish the request in flight, then close.
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(err) = ended {
                tracing::debug!(error = %err, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    let _ = stopping.send(true);
    // Every connection gives its permit back when it ends.
    let all = u32::try_from(limits.max_connections.max(1)).unwrap_or(u32::MAX);
    if tokio::time::timeout(DRAIN_TIME, open.acquire_many(all))
        .await
        .is_err()
    {
        tracing::warn!("requests still in flight after 30 s: stopping anyway");
    }
    Ok(())
}

/// The answer on a connection beyond the limit.
const REFUSAL: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\n\
content-type: application/json\r\n\
retry-after: 1\r\n\
connection: close\r\n\
content-length: 118\r\n\
\r\n\
{\"errors\":[{\"message\":\"the server has too many open connections; retry shortly\",\
\"extensions\":{\"code\":\"UNAVAILABLE\"}}]}";

/// Reads the request's headers (briefly: a client that sends nothing gets
/// the answer anyway; one answered before its request was sent would take
/// it for garbage), writes the refusal, then reads what else the client
/// sent for a moment before closing (closing with unread bytes would reset
/// the connection, and the client might never see the answer).
async fn refuse(mut stream: TcpStream) {
    let mut head = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    let _ = tokio::time::timeout(Duration::from_millis(200), async {
        while head.len() < 16 * 1024 && !head.windows(4).any(|w| w == b"\r\n\r\n") {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => head.extend_from_slice(&chunk[..n]),
            }
        }
    })
    .await;
    if stream.write_all(REFUSAL).await.is_err() {
        return;
    }
    let _ = stream.shutdown().await;
    let mut sink = [0u8; 4096];
    let mut drained = 0usize;
    while drained < 64 * 1024 {
        match stream.read(&mut sink).await {
            Ok(0) | Err(_) => break,
            Ok(n) => drained += n,
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_refusal_declares_its_length() {
        let text = std::str::from_utf8(super::REFUSAL).expect("text");
        let (head, body) = text.split_once("\r\n\r\n").expect("head and body");
        let declared: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length: "))
            .and_then(|n| n.parse().ok())
            .expect("content-length");
        assert_eq!(declared, body.len());
        let json: serde_json::Value = serde_json::from_str(body).expect("JSON");
        assert_eq!(json["errors"][0]["extensions"]["code"], "UNAVAILABLE");
    }
}
