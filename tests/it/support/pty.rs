//! The real binary (or any program) in a pseudo-terminal, read through a VT100 parser that
//! answers the queries a terminal answers. Shared by the tests and benches/tui.rs.
#![allow(dead_code)] // each user takes a different part of it

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, MasterPty, PtySize, native_pty_system};

pub const BIN: &str = env!("CARGO_BIN_EXE_veriff-tui");

/// Generous: CI machines are slow and busy; a pass returns as soon as the text is there.
pub const DEADLINE: Duration = Duration::from_secs(20);

struct Shared {
    parser: vt100::Parser,
    raw: Vec<u8>,
    eof: bool,
}

type Writer = Arc<Mutex<Box<dyn Write + Send>>>;

/// The app running in a pseudo-terminal of a given size.
pub struct Tui {
    shared: Arc<Mutex<Shared>>,
    writer: Writer,
    master: Box<dyn MasterPty + Send>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
}

impl Tui {
    /// Starts `veriff-tui args…` with a clean environment plus `env`.
    pub fn spawn(args: &[&str], env: &[(&str, &str)], cols: u16, rows: u16) -> Tui {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("open pty");
        let mut cmd = CommandBuilder::new(BIN);
        cmd.args(args);
        cmd.env_clear();
        cmd.env("TERM", "xterm-256color");
        cmd.env("PATH", std::env::var("PATH").unwrap_or_default());
        cmd.env(
            "HOME",
            std::env::var("HOME").unwrap_or_else(|_| "/tmp".into()),
        );
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = pair.slave.spawn_command(cmd).expect("spawn veriff-tui");
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().expect("pty reader");
        let writer: Writer = Arc::new(Mutex::new(pair.master.take_writer().expect("pty writer")));
        let shared = Arc::new(Mutex::new(Shared {
            parser: vt100::Parser::new(rows, cols, 0),
            raw: Vec::new(),
            eof: false,
        }));
        {
            let shared = Arc::clone(&shared);
            let writer = Arc::clone(&writer);
            std::thread::spawn(move || {
                let mut buf = [0u8; 8192];
                loop {
                    match reader.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            let chunk = &buf[..n];
                            let answer = {
                                let mut s = shared.lock().unwrap();
                                s.parser.process(chunk);
                                s.raw.extend_from_slice(chunk);
                                answer_queries(chunk, s.parser.screen())
                            };
                            // Answer what a real terminal answers, so nothing waits on us.
                            if !answer.is_empty() {
                                let mut w = writer.lock().unwrap();
                                let _ = w.write_all(&answer);
                                let _ = w.flush();
                            }
                        }
                    }
                }
                shared.lock().unwrap().eof = true;
            });
        }
        Tui {
            shared,
            writer,
            master: pair.master,
            child,
        }
    }

    /// Types bytes as the keyboard would.
    pub fn send(&self, bytes: impl AsRef<[u8]>) {
        let mut w = self.writer.lock().unwrap();
        w.write_all(bytes.as_ref()).expect("write to pty");
        w.flush().expect("flush pty");
    }

    /// Types text one character at a time, the way a person does (a burst of bytes could
    /// be taken for a paste by some terminals).
    pub fn type_text(&self, text: &str) {
        for c in text.chars() {
            let mut b = [0u8; 4];
            self.send(c.encode_utf8(&mut b).as_bytes());
        }
    }

    /// A bracketed paste.
    pub fn paste(&self, text: &str) {
        self.send(format!("\x1b[200~{text}\x1b[201~"));
    }

    pub fn screen(&self) -> String {
        self.shared.lock().unwrap().parser.screen().contents()
    }

    /// Everything the app wrote to the terminal so far.
    pub fn raw(&self) -> Vec<u8> {
        self.shared.lock().unwrap().raw.clone()
    }

    pub fn with_screen<T>(&self, f: impl FnOnce(&vt100::Screen) -> T) -> T {
        f(self.shared.lock().unwrap().parser.screen())
    }

    /// Waits until `pred(screen text)` holds; panics with the last screen after the deadline.
    pub fn wait_until(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if pred(&screen) {
                return screen;
            }
            if start.elapsed() > DEADLINE {
                panic!("timed out waiting for {what}; the screen was:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn wait_for(&self, text: &str) -> String {
        self.wait_until(&format!("{text:?} on screen"), |s| s.contains(text))
    }

    pub fn wait_gone(&self, text: &str) -> String {
        self.wait_until(&format!("{text:?} gone from screen"), |s| !s.contains(text))
    }

    /// Waits until the raw output holds `needle`.
    pub fn wait_raw(&self, what: &str, needle: &[u8]) -> Vec<u8> {
        let start = Instant::now();
        loop {
            let raw = self.raw();
            if contains(&raw, needle) {
                return raw;
            }
            if start.elapsed() > DEADLINE {
                panic!(
                    "timed out waiting for {what}; the screen was:\n{}",
                    self.screen()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn resize(&self, cols: u16, rows: u16) {
        self.master
            .resize(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("resize pty");
        // vt100 overflows on a wide character in a 1-column grid (its bug, not ours): the
        // parser keeps at least 2 columns, the app under test still gets the real size.
        self.shared
            .lock()
            .unwrap()
            .parser
            .screen_mut()
            .set_size(rows, cols.max(2));
    }

    /// `stty -a` of the terminal the app ran in: says whether raw mode is still on.
    pub fn stty(&self) -> String {
        let tty = self.master.tty_name().expect("pty has a name");
        let out = std::process::Command::new("stty")
            .arg("-F")
            .arg(&tty)
            .arg("-a")
            .output()
            .expect("run stty");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.process_id()
    }

    /// Waits for the process to exit; returns its exit code.
    pub fn wait_exit(&mut self) -> u32 {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                // Let the reader drain what was written just before the exit.
                let drain = Instant::now();
                while !self.shared.lock().unwrap().eof && drain.elapsed() < Duration::from_secs(2) {
                    std::thread::sleep(Duration::from_millis(10));
                }
                return status.exit_code();
            }
            if start.elapsed() > DEADLINE {
                panic!(
                    "timed out waiting for exit; the screen was:\n{}",
                    self.screen()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Tui {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn answer_queries(chunk: &[u8], screen: &vt100::Screen) -> Vec<u8> {
    let mut out = Vec::new();
    if contains(chunk, b"\x1b[6n") {
        let (r, c) = screen.cursor_position();
        out.extend(format!("\x1b[{};{}R", r + 1, c + 1).bytes());
    }
    if contains(chunk, b"\x1b[c") || contains(chunk, b"\x1b[0c") {
        out.extend(b"\x1b[?62;22c");
    }
    if contains(chunk, b"\x1b[?u") {
        out.extend(b"\x1b[?0u");
    }
    out
}

pub fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}
