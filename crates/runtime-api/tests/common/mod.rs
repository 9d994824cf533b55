//! A minimal HTTP/1.1 client playing the runtime, over one keep-alive TCP connection.

// Test support: panicking on a broken connection is the point.
#![allow(dead_code, clippy::unwrap_used)]

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use stratus_runtime_api::{Invocation, Limits, RuntimeApi};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long any one step of a test may wait for the other side.
pub const DEADLINE: Duration = Duration::from_secs(10);

/// Awaits `step`, failing the test if it takes longer than [`DEADLINE`].
pub async fn within<T>(step: impl Future<Output = T>) -> T {
    match tokio::time::timeout(DEADLINE, step).await {
        Ok(out) => out,
        Err(_) => panic!("no answer within {DEADLINE:?}"),
    }
}

/// Serves a fresh Runtime API on an ephemeral loopback port.
pub fn serve(limits: Limits) -> (RuntimeApi, SocketAddr) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    (RuntimeApi::serve(listener, limits).unwrap(), addr)
}

/// An invocation with every field set.
pub fn invocation(id: &str, payload: &'static [u8]) -> Invocation {
    Invocation {
        request_id: id.to_owned(),
        deadline_ms: 1_700_000_003_000,
        invoked_function_arn: "arn:aws:lambda:us-east-1:123456789012:function:f:live".into(),
        trace_id: "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0"
            .into(),
        client_context: Some(r#"{"custom":{"k":"v"}}"#.into()),
        cognito_identity: Some(r#"{"cognitoIdentityId":"i","cognitoIdentityPoolId":"p"}"#.into()),
        payload: Bytes::from_static(payload),
    }
}

/// One parsed response.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    /// The value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The runtime's side of one connection.
pub struct Client {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Client {
    pub async fn connect(addr: SocketAddr) -> Self {
        let stream = within(TcpStream::connect(addr)).await.unwrap();
        stream.set_nodelay(true).unwrap();
        Client {
            stream,
            buf: Vec::with_capacity(8192),
        }
    }

    /// Sends raw request bytes.
    pub async fn send_raw(&mut self, raw: &[u8]) {
        within(self.stream.write_all(raw)).await.unwrap();
    }

    /// Sends a request with a Content-Length body and reads the response.
    pub async fn request(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Resp {
        let mut raw = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:9001\r\n");
        for (k, v) in headers {
            raw.push_str(&format!("{k}: {v}\r\n"));
        }
        if method == "POST" {
            raw.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        raw.push_str("\r\n");
        let mut raw = raw.into_bytes();
        raw.extend_from_slice(body);
        self.send_raw(&raw).await;
        self.response().await
    }

    pub async fn next(&mut self) -> Resp {
        self.request("GET", "/2018-06-01/runtime/invocation/next", &[], b"")
            .await
    }

    pub async fn respond(&mut self, id: &str, body: &[u8]) -> Resp {
        let path = format!("/2018-06-01/runtime/invocation/{id}/response");
        self.request("POST", &path, &[("Content-Type", "application/json")], body)
            .await
    }

    /// Reads one response (Content-Length bodies only, which is all the server sends).
    pub async fn response(&mut self) -> Resp {
        loop {
            if let Some(resp) = self.parse() {
                return resp;
            }
            let n = within(self.stream.read_buf(&mut self.buf)).await.unwrap();
            assert!(n > 0, "server closed the connection");
        }
    }

    /// True once the server has closed the connection (pending data is discarded).
    pub async fn closed(&mut self) -> bool {
        let mut scratch = [0u8; 1024];
        loop {
            match within(self.stream.read(&mut scratch)).await {
                Ok(0) | Err(_) => return true,
                Ok(_) => {}
            }
        }
    }

    fn parse(&mut self) -> Option<Resp> {
        let end = self.buf.windows(4).position(|w| w == b"\r\n\r\n")?;
        let head = std::str::from_utf8(&self.buf[..end]).unwrap().to_owned();
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .unwrap()
            .split(' ')
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        let headers: Vec<(String, String)> = lines
            .map(|l| {
                let (k, v) = l.split_once(':').unwrap();
                (k.trim().to_owned(), v.trim().to_owned())
            })
            .collect();
        let len: usize = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
            .map(|(_, v)| v.parse().unwrap())
            .unwrap_or(0);
        if self.buf.len() < end + 4 + len {
            return None;
        }
        let body = self.buf[end + 4..end + 4 + len].to_vec();
        self.buf.drain(..end + 4 + len);
        Some(Resp {
            status,
            headers,
            body,
        })
    }
}
