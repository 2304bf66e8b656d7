//! A PostgreSQL server of a test's own with TLS on (`ssl = on`), its certificate issued for
//! 127.0.0.1 and signed by a certificate authority made for the test with the `openssl`
//! command. Nothing on this machine trusts that authority unless a URL names its file
//! (`sslrootcert`).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::pg::{self, PrivateServer};

const OPENSSL: &str = "the TLS tests make their certificates with the openssl command: install it (`apt-get install openssl`)";

pub struct TlsServer {
    pub server: PrivateServer,
    /// The test authority's certificate (PEM).
    pub ca: PathBuf,
    /// Where the certificates are; removed when dropped.
    dir: PathBuf,
}

impl TlsServer {
    pub fn start() -> TlsServer {
        let dir = pg::temp_dir("veriff-pg-tls-").unwrap_or_else(|e| panic!("{e}"));
        make_certificates(&dir);
        let options = [
            "ssl=on".to_string(),
            format!("ssl_cert_file={}", dir.join("server.pem").display()),
            format!("ssl_key_file={}", dir.join("server.key").display()),
        ];
        let server = PrivateServer::start_with(&options);
        TlsServer {
            server,
            ca: dir.join("ca.pem"),
            dir,
        }
    }

    /// A new database, and its URL over TCP to `host` (with the password) and `params`.
    pub fn database(&self, name: &str, host: &str, params: &str) -> String {
        self.server.database(name);
        self.url(name, host, params)
    }

    /// The URL of database `name` over TCP to `host`, with the password and `params`.
    pub fn url(&self, name: &str, host: &str, params: &str) -> String {
        format!(
            "postgres://{}:{}@{host}:{}/{name}?{params}",
            pg::SUPERUSER,
            pg::PASSWORD,
            self.server.0.port
        )
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// In `dir`: the authority (`ca.pem`, its key), and the server's key and certificate
/// (for the IP address 127.0.0.1 only, so a connection to `localhost` meets a name it was
/// not issued for), readable by the server's user alone.
fn make_certificates(dir: &Path) {
    let ext = dir.join("server.ext");
    std::fs::write(
        &ext,
        "basicConstraints = CA:FALSE\nkeyUsage = digitalSignature\nextendedKeyUsage = serverAuth\nsubjectAltName = IP:127.0.0.1\n",
    )
    .unwrap();
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    openssl(
        dir,
        &["req", "-x509"],
        &ec,
        &[
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=veriff-tui test CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
    );
    openssl(
        dir,
        &["req"],
        &ec,
        &[
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=127.0.0.1",
        ],
    );
    openssl(
        dir,
        &["x509", "-req"],
        &[],
        &[
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "server.ext",
        ],
    );
    // The server refuses a key others can read; run as `postgres` under root, it must own
    // it.
    use std::os::unix::fs::PermissionsExt;
    let key = dir.join("server.key");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    if pg::runs_as_postgres() {
        for f in [dir.to_path_buf(), key, dir.join("server.pem")] {
            let ok = Command::new("chown").arg("postgres").arg(&f).status();
            assert!(
                ok.is_ok_and(|s| s.success()),
                "chown postgres {}",
                f.display()
            );
        }
    }
}

fn openssl(dir: &Path, command: &[&str], key: &[&str], args: &[&str]) {
    let out = Command::new("openssl")
        .args(command)
        .args(key)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run openssl: {e}. {OPENSSL}"));
    assert!(
        out.status.success(),
        "openssl {command:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
