//! A real SMTP server for the tests, over TCP on 127.0.0.1: it speaks enough ESMTP for
//! lettre (greeting, EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT), keeps every message
//! it accepts, and decodes the parts the tests assert on (subject, plain text, HTML). Its
//! `Mode` simulates a mail server that is down (connections dropped), refusing (451 to
//! every MAIL FROM), stalled (a greeting that never comes) or slow (a late answer to a
//! message).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Accept,
    /// Every connection is closed at once, before the greeting.
    Drop,
    /// `451` (try again later) to every MAIL FROM.
    Refuse,
    /// Connections are accepted and never answered.
    Stall,
    /// Like `Accept`, but the answer to a message's end comes this many ms late.
    Slow(u64),
}

/// One accepted message.
#[derive(Debug, Clone)]
#[allow(dead_code)] // Each test reads the fields it needs.
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    /// The raw message (headers and body) as the client sent it, dot-unstuffed.
    pub data: String,
    pub subject: String,
    /// The From header.
    pub from_header: String,
    pub text: Option<String>,
    pub html: Option<String>,
}

struct Shared {
    mode: Mode,
    received: Vec<Received>,
    connections: usize,
}

pub struct SmtpSink {
    port: u16,
    shared: Arc<Mutex<Shared>>,
}

impl SmtpSink {
    /// Binds 127.0.0.1 on a free port and serves on the current runtime.
    pub async fn start() -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the sink");
        let port = listener.local_addr().expect("its address").port();
        let shared = Arc::new(Mutex::new(Shared {
            mode: Mode::Accept,
            received: Vec::new(),
            connections: 0,
        }));
        let s = shared.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let s = s.clone();
                tokio::spawn(async move {
                    let _ = serve(stream, s).await;
                });
            }
        });
        SmtpSink { port, shared }
    }

    /// The value for `STEWARD_SMTP_URL`.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn set_mode(&self, mode: Mode) {
        self.shared.lock().unwrap().mode = mode;
    }

    /// Connections accepted so far (whatever became of them).
    pub fn connections(&self) -> usize {
        self.shared.lock().unwrap().connections
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.lock().unwrap().received.clone()
    }

    /// Waits until at least `n` messages arrived (panics after `timeout`); answers all.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Received> {
        let until = Instant::now() + timeout;
        loop {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            assert!(
                Instant::now() < until,
                "the sink got {} messages within {timeout:?}, expected {n}",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

async fn serve(stream: tokio::net::TcpStream, shared: Arc<Mutex<Shared>>) -> std::io::Result<()> {
    let mode = {
        let mut s = shared.lock().unwrap();
        s.connections += 1;
        s.mode
    };
    match mode {
        Mode::Drop => return Ok(()),
        Mode::Stall => {
            // Hold the connection open, silent, until the client gives up.
            let mut reader = BufReader::new(stream);
            let mut line = String::new();
            while reader.read_line(&mut line).await? > 0 {
                line.clear();
            }
            return Ok(());
        }
        Mode::Accept | Mode::Refuse | Mode::Slow(_) => {}
    }
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    write.write_all(b"220 sink.test ESMTP ready\r\n").await?;
    let (mut from, mut to) = (String::new(), Vec::new());
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_string();
        let upper = command.to_ascii_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") {
            b"250-sink.test\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"
        } else if upper.starts_with("HELO") {
            b"250 sink.test\r\n"
        } else if upper.starts_with("MAIL FROM:") {
            if shared.lock().unwrap().mode == Mode::Refuse {
                b"451 4.3.0 the sink is refusing mail for now\r\n"
            } else {
                from = address(&command[10..]);
                to.clear();
                b"250 2.1.0 ok\r\n"
            }
        } else if upper.starts_with("RCPT TO:") {
            to.push(address(&command[8..]));
            b"250 2.1.5 ok\r\n"
        } else if upper == "DATA" {
            write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
            let mut data = String::new();
            loop {
                line.clear();
                if reader.read_line(&mut line).await? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" || line == ".\n" {
                    break;
                }
                let unstuffed = line.strip_prefix('.').unwrap_or(&line);
                data.push_str(unstuffed);
            }
            let received = parse(&from, &to, data);
            if let Mode::Slow(ms) = mode {
                tokio::time::sleep(Duration::from_millis(ms)).await;
            }
            shared.lock().unwrap().received.push(received);
            b"250 2.0.0 queued\r\n"
        } else if upper.starts_with("RSET") || upper.starts_with("NOOP") {
            b"250 2.0.0 ok\r\n"
        } else if upper.starts_with("QUIT") {
            write.write_all(b"221 2.0.0 bye\r\n").await?;
            return Ok(());
        } else {
            b"502 5.5.2 not implemented\r\n"
        };
        write.write_all(reply).await?;
    }
}

/// `<a@b> SIZE=...` → `a@b`.
fn address(arg: &str) -> String {
    let arg = arg.trim();
    match (arg.find('<'), arg.find('>')) {
        (Some(a), Some(b)) if a < b => arg[a + 1..b].to_string(),
        _ => arg.split_whitespace().next().unwrap_or("").to_string(),
    }
}

/// Splits a message (or a part) into its unfolded headers and its body.
fn split(data: &str) -> (Vec<(String, String)>, String) {
    let data = data.replace("\r\n", "\n");
    let (head, body) = data.split_once("\n\n").unwrap_or((&data, ""));
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some(last) = headers.last_mut() {
                last.1.push(' ');
                last.1.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
    }
    (headers, body.to_string())
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

fn decode(encoding: Option<&str>, body: &str) -> String {
    match encoding.map(|e| e.to_ascii_lowercase()) {
        Some(e) if e == "base64" => {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(body.split_whitespace().collect::<String>())
                .unwrap_or_default();
            String::from_utf8_lossy(&bytes).to_string()
        }
        Some(e) if e == "quoted-printable" => {
            let joined = body.replace("=\n", "");
            let bytes = joined.as_bytes();
            let mut out = Vec::new();
            let mut i = 0;
            while i < bytes.len() {
                if bytes[i] == b'=' && i + 2 < bytes.len() {
                    if let Ok(b) = u8::from_str_radix(
                        std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or(""),
                        16,
                    ) {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                }
                out.push(bytes[i]);
                i += 1;
            }
            String::from_utf8_lossy(&out).to_string()
        }
        _ => body.to_string(),
    }
}

fn parse(from: &str, to: &[String], data: String) -> Received {
    let (headers, body) = split(&data);
    let mut received = Received {
        from: from.to_string(),
        to: to.to_vec(),
        subject: header(&headers, "subject").unwrap_or("").to_string(),
        from_header: header(&headers, "from").unwrap_or("").to_string(),
        data: data.clone(),
        text: None,
        html: None,
    };
    let content_type = header(&headers, "content-type").unwrap_or("text/plain");
    let boundary = content_type
        .split(';')
        .filter_map(|p| p.trim().strip_prefix("boundary="))
        .next()
        .map(|b| b.trim_matches('"').to_string());
    let parts: Vec<String> = match &boundary {
        Some(b) => body
            .split(&format!("--{b}"))
            .skip(1)
            .filter(|p| !p.starts_with("--"))
            .map(|p| p.trim_start_matches('\n').to_string())
            .collect(),
        None => vec![data.replace("\r\n", "\n")],
    };
    for part in parts {
        let (h, b) = split(&part);
        let kind = header(&h, "content-type")
            .unwrap_or("text/plain")
            .to_ascii_lowercase();
        let text = decode(header(&h, "content-transfer-encoding"), &b);
        let text = text.trim_end_matches('\n').to_string();
        if kind.starts_with("text/html") {
            received.html = Some(text);
        } else if kind.starts_with("text/plain") {
            received.text = Some(text);
        }
    }
    received
}
