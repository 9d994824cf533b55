//! A minimal blocking HTTP/1.1 keep-alive client: the measuring side adds as little as it can.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};

use anyhow::Context;
use stratus_sigv4::Signer;

use crate::server::{ACCESS_KEY, SECRET};

/// One keep-alive connection.
pub struct Conn {
    writer: TcpStream,
    reader: BufReader<TcpStream>,
    body: Vec<u8>,
    request_id: String,
}

impl Conn {
    /// Connects with Nagle off.
    pub fn open(addr: SocketAddr) -> anyhow::Result<Self> {
        let s = TcpStream::connect(addr)?;
        s.set_nodelay(true)?;
        Ok(Conn {
            reader: BufReader::new(s.try_clone()?),
            writer: s,
            body: Vec::new(),
            request_id: String::new(),
        })
    }

    /// Sends the raw request and reads the whole response; returns the status.
    pub fn roundtrip(&mut self, request: &[u8]) -> anyhow::Result<u16> {
        self.writer.write_all(request)?;
        let mut line = String::new();
        self.reader.read_line(&mut line)?;
        let status: u16 = line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .with_context(|| format!("bad status line {line:?}"))?;
        let mut length = 0usize;
        self.request_id.clear();
        loop {
            line.clear();
            self.reader.read_line(&mut line)?;
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    length = v.trim().parse()?;
                } else if k.eq_ignore_ascii_case("x-amzn-requestid") {
                    self.request_id.push_str(v.trim());
                }
            }
        }
        self.body.resize(length, 0);
        self.reader.read_exact(&mut self.body)?;
        Ok(status)
    }

    /// The body of the last response.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The `x-amzn-RequestId` of the last response (empty if it had none).
    pub fn request_id(&self) -> &str {
        &self.request_id
    }
}

/// A complete signed request, ready to send (valid for the 15-minute skew window).
pub fn signed(addr: SocketAddr, method: &str, path: &str, body: &[u8]) -> Vec<u8> {
    signed_with(addr, "lambda", method, path, &[], body)
}

/// A signed request for `service`, with extra (unsigned) header lines such as
/// `x-amz-invocation-type: Event`.
pub fn signed_with(
    addr: SocketAddr,
    service: &str,
    method: &str,
    path: &str,
    extra_headers: &[&str],
    body: &[u8],
) -> Vec<u8> {
    let host = addr.to_string();
    let signer = Signer {
        access_key_id: ACCESS_KEY,
        secret: SECRET,
        region: "us-east-1",
        service,
    };
    let s = signer.sign(method, path, None, &host, body, chrono::Utc::now());
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nhost: {host}\r\nx-amz-date: {}\r\nauthorization: {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        s.amz_date,
        s.authorization,
        body.len()
    )
    .into_bytes();
    let end = req.len() - 2;
    let extra: String = extra_headers.iter().map(|h| format!("{h}\r\n")).collect();
    req.splice(end..end, extra.into_bytes());
    req.extend_from_slice(body);
    req
}

/// An unsigned GET.
pub fn plain_get(addr: SocketAddr, path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nhost: {addr}\r\n\r\n").into_bytes()
}
