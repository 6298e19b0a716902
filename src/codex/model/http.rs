//! The scripted model's HTTP/1.1 framing: one request read (bounded, and
//! refused where it could not be stored faithfully), one response written
//! (JSON, or server-sent events ended by closing the connection).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};

use anyhow::Result;
use serde_json::Value;

/// The request line and headers together may not exceed this.
const MAX_HEAD: u64 = 64 << 10;
/// Nor a body this (a model request is a few hundred KiB at most).
const MAX_BODY: usize = 64 << 20;

/// A request the server refuses: the status it answers and why.
#[derive(Debug)]
pub(super) struct Refusal {
    pub(super) status: u16,
    pub(super) why: String,
}

pub(super) fn refuse<T>(status: u16, why: impl Into<String>) -> Result<T, Refusal> {
    Err(Refusal {
        status,
        why: why.into(),
    })
}

pub(super) struct Request {
    pub(super) method: String,
    pub(super) path: String,
    pub(super) headers: Vec<(String, String)>,
    pub(super) body: Vec<u8>,
}

impl Request {
    pub(super) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

pub(super) fn write_sse(out: &mut TcpStream, events: &[Value]) -> Result<()> {
    let mut body = String::new();
    for e in events {
        let kind = e["type"].as_str().unwrap_or("message");
        body.push_str(&format!("event: {kind}\ndata: {e}\n\n"));
    }
    // No Content-Length: the body ends when the connection closes, which is
    // also how a cut stream ends (just earlier).
    let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n";
    out.write_all(head.as_bytes())?;
    out.write_all(body.as_bytes())?;
    out.flush()?;
    out.shutdown(Shutdown::Both)?;
    Ok(())
}

pub(super) fn write_json(
    out: &mut TcpStream,
    status: u16,
    body: &Value,
    headers: &[(String, String)],
) -> Result<()> {
    let body = body.to_string();
    let mut head = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        reason(status),
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    out.write_all(head.as_bytes())?;
    out.write_all(body.as_bytes())?;
    out.flush()?;
    out.shutdown(Shutdown::Both)?;
    Ok(())
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        413 => "Content Too Large",
        415 => "Unsupported Media Type",
        431 => "Request Header Fields Too Large",
        501 => "Not Implemented",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

/// Reads one request. What codex would never send, and what could not be
/// stored faithfully, is refused rather than guessed at: an oversized head
/// or body, a transfer coding other than plain `chunked`, a compressed body,
/// both a length and a transfer coding. `Expect: 100-continue` is answered.
pub(super) fn read_request(
    reader: &mut BufReader<TcpStream>,
    out: &mut TcpStream,
) -> Result<Option<Request>, Refusal> {
    let mut head_left = MAX_HEAD;
    let mut line = String::new();
    if read_head_line(reader, &mut head_left, &mut line)? == 0 {
        return Ok(None);
    }
    let mut parts = line.split_whitespace();
    let (Some(method), Some(path), Some(version)) = (parts.next(), parts.next(), parts.next())
    else {
        return refuse(400, format!("malformed request line {:?}", line.trim_end()));
    };
    if !version.starts_with("HTTP/1.") {
        return refuse(400, format!("unsupported protocol {version:?}"));
    }
    let (method, path) = (method.to_string(), path.to_string());
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if read_head_line(reader, &mut head_left, &mut h)? == 0 {
            return refuse(400, "the connection closed inside the headers");
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let Some((k, v)) = h.split_once(':') else {
            return refuse(400, format!("malformed header {h:?}"));
        };
        headers.push((k.trim().to_string(), v.trim().to_string()));
    }
    let mut req = Request {
        method,
        path,
        headers,
        body: Vec::new(),
    };
    if let Some(coding) = req.header("content-encoding")
        && !coding.eq_ignore_ascii_case("identity")
    {
        return refuse(
            415,
            format!("Content-Encoding {coding:?}: a compressed body would be recorded lossily"),
        );
    }
    let chunked = match req.header("transfer-encoding") {
        None => false,
        Some(t) if t.eq_ignore_ascii_case("chunked") => true,
        Some(t) => return refuse(501, format!("Transfer-Encoding {t:?} is not supported")),
    };
    let length = match req.header("content-length") {
        None => None,
        Some(_) if chunked => {
            return refuse(400, "both Content-Length and Transfer-Encoding");
        }
        Some(l) => match l.parse::<usize>() {
            Ok(n) if n <= MAX_BODY => Some(n),
            Ok(n) => return refuse(413, format!("Content-Length {n} is over {MAX_BODY}")),
            Err(_) => return refuse(400, format!("bad Content-Length {l:?}")),
        },
    };
    if req
        .header("expect")
        .is_some_and(|e| e.eq_ignore_ascii_case("100-continue"))
    {
        out.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
            .and_then(|_| out.flush())
            .or_else(|e| refuse(400, format!("answering 100-continue: {e}")))?;
    }
    if chunked {
        req.body = read_chunked(reader)?;
    } else if let Some(len) = length {
        req.body = vec![0; len];
        if let Err(e) = reader.read_exact(&mut req.body) {
            return refuse(400, format!("the body ended before Content-Length: {e}"));
        }
    }
    Ok(Some(req))
}

/// One line of the request head, counted against what is left of its limit.
fn read_head_line(
    reader: &mut BufReader<TcpStream>,
    left: &mut u64,
    line: &mut String,
) -> Result<usize, Refusal> {
    let n = reader
        .by_ref()
        .take(*left)
        .read_line(line)
        .or_else(|e| refuse(400, format!("reading the request head: {e}")))?;
    *left -= n as u64;
    if *left == 0 {
        return refuse(431, format!("the request head is over {MAX_HEAD} bytes"));
    }
    Ok(n)
}

fn read_chunked(reader: &mut BufReader<TcpStream>) -> Result<Vec<u8>, Refusal> {
    let mut body = Vec::new();
    loop {
        let mut size = String::new();
        let mut left = MAX_HEAD;
        read_head_line(reader, &mut left, &mut size)?;
        let Ok(size) = usize::from_str_radix(size.trim().split(';').next().unwrap_or(""), 16)
        else {
            return refuse(400, format!("bad chunk size {:?}", size.trim()));
        };
        if size > MAX_BODY - body.len() {
            return refuse(413, format!("a chunked body over {MAX_BODY} bytes"));
        }
        let mut chunk = vec![0; size + 2];
        if let Err(e) = reader.read_exact(&mut chunk) {
            return refuse(400, format!("a chunk ended early: {e}"));
        }
        if &chunk[size..] != b"\r\n" {
            return refuse(400, "a chunk is not followed by CRLF");
        }
        if size == 0 {
            return Ok(body);
        }
        body.extend_from_slice(&chunk[..size]);
    }
}
