//! A fake PostgreSQL 12 on loopback, for the one thing the real test server cannot show: a
//! server too old for the shared history (`pg/open.rs`'s `check_server`). Installing an
//! old PostgreSQL beside the new one is not possible on every machine the tests run on;
//! speaking just enough of the v3 wire protocol to pass for one is small.
//!
//! It answers what the `postgres` crate sends when it connects and runs one query: an
//! SSLRequest ('N': no TLS here), the StartupMessage (no password asked, the parameters a
//! real server reports, server_version 12.17), then the extended protocol the driver always
//! uses — Parse/Describe/Sync to prepare, Bind/Execute/Sync to run — to which every query
//! gets one row: `server_version_num` 120017 and `server_version` "12.17", what the version
//! check asks. The type of every message received is kept (`received`: "PDSBES" for the
//! check), so a test can tell that the refusal came after the check's query, and a change
//! in what the driver sends shows there first.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// The version it claims, as text and as `server_version_num`.
pub const VERSION: &str = "12.17";
const VERSION_NUM: i32 = 120_017;

/// A client that stops talking is dropped after this, so the fake never hangs a test.
const IDLE: Duration = Duration::from_secs(10);

/// The fake server, listening on a loopback port until dropped.
pub struct FakePg {
    pub port: u16,
    stop: Arc<AtomicBool>,
    /// The type byte of every message received after the startup, in order ('P', 'B', …).
    received: Arc<Mutex<Vec<u8>>>,
    thread: Option<JoinHandle<()>>,
}

impl FakePg {
    pub fn start() -> FakePg {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let port = listener.local_addr().expect("the bound address").port();
        let stop = Arc::new(AtomicBool::new(false));
        let received = Arc::new(Mutex::new(Vec::new()));
        let thread = {
            let (stop, received) = (stop.clone(), received.clone());
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    // A client that breaks off is the test's business, not the fake's.
                    if let Ok(stream) = stream {
                        let _ = serve(stream, &received);
                    }
                }
            })
        };
        FakePg {
            port,
            stop,
            received,
            thread: Some(thread),
        }
    }

    /// A URL of it, with a password that must never be shown.
    pub fn url(&self) -> String {
        format!(
            "postgres://anna:old-server-pw-12@127.0.0.1:{}/veriff",
            self.port
        )
    }

    /// The message types received after the startup, as letters ("PDSBES…").
    pub fn received(&self) -> String {
        let got = self.received.lock().map(|g| g.clone()).unwrap_or_default();
        String::from_utf8_lossy(&got).into_owned()
    }
}

impl Drop for FakePg {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop, which then sees `stop`.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// One client's connection, until it terminates or goes quiet.
fn serve(mut s: TcpStream, received: &Mutex<Vec<u8>>) -> std::io::Result<()> {
    s.set_read_timeout(Some(IDLE))?;
    // The startup packets have no type byte: a length, then a code.
    let mut startup = untyped(&mut s)?;
    if startup.get(..4) == Some(&[0x04, 0xd2, 0x16, 0x2f]) {
        // SSLRequest (80877103): no TLS; the StartupMessage follows in the clear.
        s.write_all(b"N")?;
        startup = untyped(&mut s)?;
    }
    if startup.get(..4) != Some(&[0, 3, 0, 0]) {
        return Ok(()); // not protocol 3.0: not a client of ours
    }
    let mut out = Vec::new();
    message(&mut out, b'R', &0i32.to_be_bytes()); // AuthenticationOk
    for (name, value) in [
        ("server_version", VERSION),
        ("client_encoding", "UTF8"),
        ("DateStyle", "ISO, MDY"),
        ("integer_datetimes", "on"),
        ("standard_conforming_strings", "on"),
    ] {
        message(&mut out, b'S', &[cstr(name), cstr(value)].concat());
    }
    message(
        &mut out,
        b'K',
        &[1i32.to_be_bytes(), 2i32.to_be_bytes()].concat(),
    );
    message(&mut out, b'Z', b"I");
    s.write_all(&out)?;

    // Binary or text results, as the last Bind asked (the driver asks binary).
    let mut binary = false;
    loop {
        let mut head = [0u8; 5];
        s.read_exact(&mut head)?;
        let len = i32::from_be_bytes([head[1], head[2], head[3], head[4]]);
        let mut body = vec![0u8; usize::try_from(len - 4).unwrap_or(0)];
        s.read_exact(&mut body)?;
        if let Ok(mut r) = received.lock() {
            r.push(head[0]);
        }
        let mut out = Vec::new();
        match head[0] {
            b'P' => message(&mut out, b'1', &[]), // ParseComplete
            b'D' => {
                message(&mut out, b't', &0i16.to_be_bytes()); // no parameters
                message(&mut out, b'T', &row_description());
            }
            b'B' => {
                binary = asks_binary(&body);
                message(&mut out, b'2', &[]); // BindComplete
            }
            b'E' => {
                message(&mut out, b'D', &data_row(binary));
                message(&mut out, b'C', &cstr("SELECT 1"));
            }
            b'C' => message(&mut out, b'3', &[]), // CloseComplete
            b'S' => message(&mut out, b'Z', b"I"),
            b'X' => return Ok(()),
            _ => {}
        }
        s.write_all(&out)?;
    }
}

/// A startup packet's body (after its length).
fn untyped(s: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let mut len = [0u8; 4];
    s.read_exact(&mut len)?;
    let mut body = vec![0u8; usize::try_from(i32::from_be_bytes(len) - 4).unwrap_or(0)];
    s.read_exact(&mut body)?;
    Ok(body)
}

fn message(out: &mut Vec<u8>, kind: u8, body: &[u8]) {
    out.push(kind);
    out.extend_from_slice(&(body.len() as i32 + 4).to_be_bytes());
    out.extend_from_slice(body);
}

fn cstr(s: &str) -> Vec<u8> {
    [s.as_bytes(), &[0]].concat()
}

/// Two columns: an int4 and a text (the check's `::int` and `server_version`).
fn row_description() -> Vec<u8> {
    let mut body = 2i16.to_be_bytes().to_vec();
    for (name, oid, size) in [
        ("current_setting", 23i32, 4i16),
        ("current_setting", 25, -1),
    ] {
        body.extend(cstr(name));
        body.extend(0i32.to_be_bytes()); // no table
        body.extend(0i16.to_be_bytes()); // no column
        body.extend(oid.to_be_bytes());
        body.extend(size.to_be_bytes());
        body.extend((-1i32).to_be_bytes()); // no type modifier
        body.extend(0i16.to_be_bytes()); // text (Describe's answer; Bind chooses)
    }
    body
}

/// Whether a Bind's result format codes ask for binary (one code for all, or per column).
fn asks_binary(bind: &[u8]) -> bool {
    // portal\0 statement\0 n×param format, n×param value, n×result format
    let mut at = 0;
    for _ in 0..2 {
        at += bind[at..].iter().position(|b| *b == 0).unwrap_or(0) + 1;
    }
    let count = |at: usize| -> usize {
        bind.get(at..at + 2)
            .map_or(0, |b| i16::from_be_bytes([b[0], b[1]]).max(0) as usize)
    };
    let formats = count(at);
    at += 2 + 2 * formats;
    let values = count(at);
    at += 2;
    for _ in 0..values {
        let len = bind.get(at..at + 4).map_or(0, |b| {
            i32::from_be_bytes([b[0], b[1], b[2], b[3]]).max(0) as usize
        });
        at += 4 + len;
    }
    count(at) > 0 && bind.get(at + 2..at + 4) == Some(&[0, 1])
}

fn data_row(binary: bool) -> Vec<u8> {
    let num = if binary {
        VERSION_NUM.to_be_bytes().to_vec()
    } else {
        VERSION_NUM.to_string().into_bytes()
    };
    let mut body = 2i16.to_be_bytes().to_vec();
    for value in [num, VERSION.as_bytes().to_vec()] {
        body.extend((value.len() as i32).to_be_bytes());
        body.extend(value);
    }
    body
}
