//! The real binary (or any program) in a pseudo-terminal, read through a VT100 parser that
//! answers the queries a terminal answers. Shared by the tests and benches/tui.rs.
#![allow(dead_code)] // each user takes a different part of it

use std::io::{Read, Write};
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, MasterPty, PtySize, native_pty_system};

pub const BIN: &str = env!("CARGO_BIN_EXE_veriff-tui");

/// Generous: CI machines are slow and busy; a pass returns as soon as the text is there.
pub const DEADLINE: Duration = Duration::from_secs(20);

struct Shared {
    parser: vt100::Parser,
    raw: Vec<u8>,
    eof: bool,
    /// A condition checked after every chunk parsed (see [`Tui::watch`]), and when the
    /// screen first met it: timed when the frame arrives, not at a poll.
    watch: Option<Want>,
    met: Option<Instant>,
}

type Writer = Arc<Mutex<Box<dyn Write + Send>>>;
/// A condition on the screen text.
type Want = Box<dyn Fn(&str) -> bool + Send>;

/// The app running in a pseudo-terminal of a given size.
pub struct Tui {
    shared: Arc<Mutex<Shared>>,
    /// Signalled when the watched condition is met.
    signal: Arc<Condvar>,
    writer: Writer,
    master: Box<dyn MasterPty + Send>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
    /// Just before the program was started.
    pub started: Instant,
    /// How long a wait lasts before it panics ([`DEADLINE`] unless changed).
    pub deadline: Duration,
}

impl Tui {
    /// Starts `veriff-tui args…` with a clean environment plus `env`.
    pub fn spawn(args: &[&str], env: &[(&str, &str)], cols: u16, rows: u16) -> Tui {
        Tui::spawn_program(Path::new(BIN), args, env, cols, rows)
    }

    /// Starts any program (another build of ours, a peer) as [`Tui::spawn`] does: `TERM`,
    /// `PATH` and `HOME` from here, then `env`.
    pub fn spawn_program(
        program: &Path,
        args: &[&str],
        env: &[(&str, &str)],
        cols: u16,
        rows: u16,
    ) -> Tui {
        Tui::start(program, args, env, (cols, rows), (0, 0), None)
    }

    /// [`Tui::spawn`] in a terminal that reports its size in pixels too (`width` x `height`
    /// for the whole window), as terminals with graphics do.
    pub fn spawn_with_pixels(
        args: &[&str],
        env: &[(&str, &str)],
        (cols, rows): (u16, u16),
        (width, height): (u16, u16),
    ) -> Tui {
        Tui::start(
            Path::new(BIN),
            args,
            env,
            (cols, rows),
            (width, height),
            None,
        )
    }

    /// [`Tui::spawn_program`] with `want` watched from the first byte of output (see
    /// [`Tui::watch`]): how a start-up is timed.
    pub fn spawn_watching(
        program: &Path,
        args: &[&str],
        env: &[(&str, &str)],
        (cols, rows): (u16, u16),
        want: impl Fn(&str) -> bool + Send + 'static,
    ) -> Tui {
        Tui::start(
            program,
            args,
            env,
            (cols, rows),
            (0, 0),
            Some(Box::new(want)),
        )
    }

    fn start(
        program: &Path,
        args: &[&str],
        env: &[(&str, &str)],
        (cols, rows): (u16, u16),
        (pixel_width, pixel_height): (u16, u16),
        watch: Option<Want>,
    ) -> Tui {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width,
                pixel_height,
            })
            .expect("open pty");
        let mut cmd = CommandBuilder::new(program);
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
        let mut reader = pair.master.try_clone_reader().expect("pty reader");
        let writer: Writer = Arc::new(Mutex::new(pair.master.take_writer().expect("pty writer")));
        let shared = Arc::new(Mutex::new(Shared {
            parser: vt100::Parser::new(rows, cols, 0),
            raw: Vec::new(),
            eof: false,
            watch,
            met: None,
        }));
        let signal = Arc::new(Condvar::new());
        let started = Instant::now();
        let child = pair.slave.spawn_command(cmd).expect("spawn the program");
        drop(pair.slave);
        {
            let shared = Arc::clone(&shared);
            let signal = Arc::clone(&signal);
            let writer = Arc::clone(&writer);
            std::thread::spawn(move || {
                let mut buf = [0u8; 16384];
                loop {
                    match reader.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            let chunk = &buf[..n];
                            let answer = {
                                let mut s = shared.lock().unwrap();
                                s.parser.process(chunk);
                                s.raw.extend_from_slice(chunk);
                                if s.met.is_none()
                                    && let Some(watch) = &s.watch
                                    && watch(&s.parser.screen().contents())
                                {
                                    s.met = Some(Instant::now());
                                    signal.notify_all();
                                }
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
                signal.notify_all();
            });
        }
        Tui {
            shared,
            signal,
            writer,
            master: pair.master,
            child,
            started,
            deadline: DEADLINE,
        }
    }

    /// Watches for `want(screen text)`: checked now and after every chunk of output, the
    /// time it first holds kept for [`Tui::wait_watched`]. Replaces the previous watch.
    pub fn watch(&self, want: impl Fn(&str) -> bool + Send + 'static) {
        let mut s = self.shared.lock().unwrap();
        let now_met = want(&s.parser.screen().contents());
        s.met = now_met.then(Instant::now);
        s.watch = Some(Box::new(want));
    }

    /// Waits for the watched condition; returns when the screen first met it. Panics with
    /// the last screen after the deadline.
    pub fn wait_watched(&self, what: &str) -> Instant {
        let start = Instant::now();
        let mut s = self.shared.lock().unwrap();
        while s.met.is_none() {
            if start.elapsed() > self.deadline {
                panic!(
                    "timed out waiting for {what}; the screen was:\n{}",
                    s.parser.screen().contents()
                );
            }
            s = self
                .signal
                .wait_timeout(s, Duration::from_millis(50))
                .unwrap()
                .0;
        }
        s.met.unwrap()
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
            if start.elapsed() > self.deadline {
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
            if start.elapsed() > self.deadline {
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

    /// The program's peak resident set size so far (VmHWM, in KiB; 0 if unknown).
    pub fn hwm_kib(&self) -> u64 {
        let Some(pid) = self.pid() else {
            return 0;
        };
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
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
            if start.elapsed() > self.deadline {
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
    if contains(chunk, b"\x1b[c") || contains(chunk, b"\x1b[0c") || contains(chunk, b"\x1b[>c") {
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
