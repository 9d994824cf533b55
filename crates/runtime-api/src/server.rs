//! Accept loop and HTTP/1 connections.
//!
//! Every socket gets `TCP_NODELAY`; hyper is told not to use vectored writes, so each response
//! (head and full body) is flattened into one buffer and written with one `write`.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;

use crate::router;
use crate::state::Shared;

/// Registers `listener` with the current tokio runtime and spawns the accept loop.
pub(crate) fn spawn(listener: std::net::TcpListener, shared: Arc<Shared>) -> std::io::Result<()> {
    let runtime = tokio::runtime::Handle::try_current().map_err(std::io::Error::other)?;
    listener.set_nonblocking(true)?;
    let _entered = runtime.enter();
    let listener = tokio::net::TcpListener::from_std(listener)?;
    runtime.spawn(accept_loop(listener, shared));
    Ok(())
}

async fn accept_loop(listener: tokio::net::TcpListener, shared: Arc<Shared>) {
    let stopped = shared.stopped();
    tokio::pin!(stopped);
    loop {
        let accepted = tokio::select! {
            biased;
            () = &mut stopped => break,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, peer)) => {
                if let Err(e) = stream.set_nodelay(true) {
                    tracing::warn!(%peer, error = %e, "cannot set TCP_NODELAY");
                }
                tracing::debug!(%peer, "runtime connected");
                tokio::spawn(serve_io(TokioIo::new(stream), Arc::clone(&shared)));
            }
            Err(e) => {
                // Out of descriptors and the like: back off instead of spinning.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
    tracing::debug!("runtime API stopped");
}

/// Serves one connection until the peer closes it or the API is shut down.
pub(crate) async fn serve_io<I>(io: I, shared: Arc<Shared>)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let stopped = shared.stopped();
    let service = service_fn(move |req| {
        let shared = Arc::clone(&shared);
        async move { Ok::<_, Infallible>(router::dispatch(&shared, req).await) }
    });
    let conn = http1::Builder::new()
        .writev(false)
        .keep_alive(true)
        .auto_date_header(false)
        .serve_connection(io, service);
    tokio::select! {
        r = conn => {
            if let Err(e) = r {
                tracing::debug!(error = %e, "runtime connection ended with an error");
            }
        }
        // Dropping the connection closes the socket and abandons a pending /next.
        () = stopped => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::next;
    use crate::types::{Invocation, Limits, Outcome};
    use bytes::Bytes;
    use std::pin::Pin;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::{Context, Poll};
    use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, DuplexStream, ReadBuf};

    /// Counts successful writes going through it.
    struct Counting {
        inner: DuplexStream,
        writes: Arc<AtomicUsize>,
    }

    impl AsyncRead for Counting {
        fn poll_read(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<std::io::Result<()>> {
            Pin::new(&mut self.inner).poll_read(cx, buf)
        }
    }

    impl AsyncWrite for Counting {
        fn poll_write(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<std::io::Result<usize>> {
            let r = Pin::new(&mut self.inner).poll_write(cx, buf);
            if let Poll::Ready(Ok(n)) = &r {
                assert_eq!(*n, buf.len(), "duplex buffer too small for the test");
                self.writes.fetch_add(1, Ordering::SeqCst);
            }
            r
        }
        fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
            Pin::new(&mut self.inner).poll_flush(cx)
        }
        fn poll_shutdown(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
        ) -> Poll<std::io::Result<()>> {
            Pin::new(&mut self.inner).poll_shutdown(cx)
        }
    }

    /// Reads one response with a Content-Length body; returns (head, body).
    async fn read_response(io: &mut DuplexStream, buf: &mut Vec<u8>) -> (String, Vec<u8>) {
        loop {
            if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8(buf[..end].to_vec()).unwrap();
                let len: usize = head
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse().unwrap())
                    })
                    .unwrap();
                if buf.len() >= end + 4 + len {
                    let body = buf[end + 4..end + 4 + len].to_vec();
                    buf.drain(..end + 4 + len);
                    return (head, body);
                }
            }
            let mut chunk = [0u8; 4096];
            let n = io.read(&mut chunk).await.unwrap();
            assert!(n > 0, "connection closed");
            buf.extend_from_slice(&chunk[..n]);
        }
    }

    #[tokio::test]
    async fn each_response_is_one_write() {
        let shared = Arc::new(Shared::new(Limits::default()));
        let (server, mut client) = tokio::io::duplex(1 << 20);
        let writes = Arc::new(AtomicUsize::new(0));
        let io = Counting {
            inner: server,
            writes: Arc::clone(&writes),
        };
        tokio::spawn(serve_io(TokioIo::new(io), Arc::clone(&shared)));
        let mut buf = Vec::new();

        client
            .write_all(b"GET /2018-06-01/ping HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let (head, body) = read_response(&mut client, &mut buf).await;
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        assert_eq!(body, b"pong");
        assert_eq!(writes.load(Ordering::SeqCst), 1);

        // A 64 KiB event: head + body still go out in one write.
        let payload = Bytes::from(vec![b'x'; 64 * 1024]);
        let inv = Invocation {
            request_id: "req-1".into(),
            deadline_ms: 1,
            invoked_function_arn: "arn".into(),
            trace_id: "Root=1-2-3".into(),
            client_context: None,
            cognito_identity: None,
            payload: payload.clone(),
        };
        let (id, response) = next::render(inv).unwrap();
        let (_, rx) = shared.enqueue(id, response).unwrap();
        client
            .write_all(b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let (head, body) = read_response(&mut client, &mut buf).await;
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        assert_eq!(body, payload);
        assert_eq!(writes.load(Ordering::SeqCst), 2);

        client
            .write_all(b"POST /2018-06-01/runtime/invocation/req-1/response HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nok")
            .await
            .unwrap();
        let (head, body) = read_response(&mut client, &mut buf).await;
        assert!(head.starts_with("HTTP/1.1 202"), "{head}");
        assert_eq!(body, br#"{"status":"OK"}"#);
        assert_eq!(writes.load(Ordering::SeqCst), 3);
        assert_eq!(
            rx.await.unwrap().unwrap(),
            Outcome::Response(Bytes::from_static(b"ok"))
        );
    }
}
