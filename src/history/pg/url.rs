//! The shared history's address: `postgres://user[:password]@host[:port]/db?sslmode=…`,
//! parsed once, shown everywhere without its password, and given the password from the
//! URL, `PGPASSWORD` or the password file (`~/.pgpass`, `PGPASSFILE`) as libpq does.

use std::path::{Path, PathBuf};
use std::str::FromStr;

/// A parsed shared-history URL. Its `Debug` and `Display` never show the password.
#[derive(Clone, PartialEq, Eq)]
pub struct PgUrl {
    /// The URL for the driver, password included: as written, less what the driver does
    /// not read (`sslrootcert`, the `sslmode`s it has not), which `tls` holds.
    raw: String,
    /// The URL as written without its password: what every message and the log show.
    shown: String,
    tls: Tls,
}

/// How the connection is protected, from libpq's `sslmode` and `sslrootcert`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tls {
    pub mode: SslMode,
    /// The PEM file of the certificate authorities to trust (`sslrootcert=PATH`) instead
    /// of the OS's trust store.
    pub root_cert: Option<PathBuf>,
}

/// libpq's `sslmode`. Without it, `prefer`, as libpq.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    /// Never TLS.
    Disable,
    /// TLS when the server offers it, its certificate not checked (as libpq; `allow` is
    /// taken as `prefer`: both accept either).
    Prefer,
    /// TLS, the certificate checked whole: signed by a trusted authority and issued for
    /// the host connected to. Stricter than libpq's `require`, which checks nothing (or
    /// the signature alone when it has a root certificate file).
    Require,
    /// TLS, the certificate signed by a trusted authority, whatever host it names.
    VerifyCa,
    /// As `Require`.
    VerifyFull,
}

impl SslMode {
    fn parse(value: &str) -> Result<SslMode, String> {
        Ok(match value {
            "disable" => SslMode::Disable,
            "allow" | "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            other => {
                return Err(format!(
                    "sslmode={} is not one of disable, allow, prefer, require, verify-ca, verify-full",
                    crate::text::sanitize(other)
                ));
            }
        })
    }

    /// The mode the driver knows (it checks no certificate itself: `tls` does).
    fn driver(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Prefer => "prefer",
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => "require",
        }
    }
}

impl std::fmt::Debug for PgUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("PgUrl").field(&self.shown).finish()
    }
}

impl std::fmt::Display for PgUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown)
    }
}

impl PgUrl {
    /// Parses `text`; the error names what is wrong, never the password.
    pub fn parse(text: &str) -> Result<PgUrl, String> {
        let text = text.trim();
        let scheme_ok = text.starts_with("postgres://") || text.starts_with("postgresql://");
        if !scheme_ok {
            return Err(
                "it must start with postgres:// or postgresql:// (e.g. postgres://user@db.example.com/veriff?sslmode=require)"
                    .into(),
            );
        }
        let shown = redact(text);
        let (raw, tls) = split_tls(text).map_err(|e| format!("{shown}: {e}"))?;
        let config = postgres::Config::from_str(&raw).map_err(|e| {
            // The driver's message alone says only "invalid connection string".
            let why = std::error::Error::source(&e).map_or(String::new(), |s| format!(" ({s})"));
            format!(
                "{shown} is not a PostgreSQL URL the driver reads: {e}{}",
                crate::text::sanitize(&why)
            )
        })?;
        if config.get_dbname().is_none() {
            return Err(format!(
                "{shown} names no database: add it as the path (postgres://user@host/DATABASE)"
            ));
        }
        Ok(PgUrl { raw, shown, tls })
    }

    /// How the connection is to be protected.
    pub fn tls(&self) -> &Tls {
        &self.tls
    }

    /// The (first) host connected to, as messages name it.
    pub(super) fn host(&self) -> String {
        let host = postgres::Config::from_str(&self.raw)
            .ok()
            .and_then(|c| match c.get_hosts().first() {
                Some(postgres::config::Host::Tcp(h)) => Some(h.clone()),
                #[cfg(unix)]
                Some(postgres::config::Host::Unix(p)) => Some(p.display().to_string()),
                None => None,
            })
            .unwrap_or_else(|| "localhost".into());
        crate::text::sanitize(&host)
    }

    /// The URL without its password.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// The driver's configuration, with the password found where libpq would look.
    pub(super) fn config(&self) -> Result<postgres::Config, String> {
        let mut config = postgres::Config::from_str(&self.raw)
            .map_err(|e| format!("{} is not a PostgreSQL URL: {e}", self.shown))?;
        if config.get_user().is_none() {
            // libpq's default: the OS user's name.
            config.user(&super::os_user());
        }
        if config.get_password().is_none() {
            if let Some(p) = std::env::var("PGPASSWORD").ok().filter(|p| !p.is_empty()) {
                config.password(p);
            } else if let Some(p) = pgpass_file().and_then(|f| from_pgpass(&f, &config)) {
                config.password(p);
            }
        }
        Ok(config)
    }
}

/// The URL for the driver and the TLS settings taken out of it: `sslrootcert` (which the
/// driver does not read) and the `sslmode` as libpq spells it (the driver knows three).
fn split_tls(text: &str) -> Result<(String, Tls), String> {
    let mut tls = Tls {
        mode: SslMode::Prefer,
        root_cert: None,
    };
    let Some((base, query)) = text.split_once('?') else {
        return Ok((text.to_string(), tls));
    };
    let mut kept = Vec::new();
    for param in query.split('&') {
        let (key, value) = param.split_once('=').unwrap_or((param, ""));
        match key {
            "sslmode" => tls.mode = SslMode::parse(&percent_decode(value)?)?,
            // libpq's word for the OS's trust store (the default here).
            "sslrootcert" if value == "system" => tls.root_cert = None,
            "sslrootcert" => tls.root_cert = Some(PathBuf::from(percent_decode(value)?)),
            _ => kept.push(param),
        }
    }
    kept.push(match tls.mode.driver() {
        "disable" => "sslmode=disable",
        "prefer" => "sslmode=prefer",
        _ => "sslmode=require",
    });
    Ok((format!("{base}?{}", kept.join("&")), tls))
}

/// A URL parameter's value with its `%XX` escapes decoded.
fn percent_decode(value: &str) -> Result<String, String> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| {
                    format!(
                        "{} has a % that starts no escape (write %25 for %)",
                        crate::text::sanitize(value)
                    )
                })?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "a parameter is not UTF-8 once decoded".to_string())
}

/// `text` with the password (if any) left out: `postgres://ann@host/db`. Done on the text
/// itself, not through a URL parser: a socket URL (`postgres://ann@/db?host=/run/pg`) has
/// an empty host, which URL parsers refuse, and it must be shown all the same.
pub fn redact(text: &str) -> String {
    let Some((scheme, rest)) = text.split_once("://") else {
        return "(a postgres:// URL that does not parse)".into();
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, hosts)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
            format!("{user}@{hosts}")
        }
        None => authority.to_string(),
    };
    // A password may be a query parameter too (`?password=`).
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let kept: Vec<&str> = query
                .split('&')
                .filter(|p| !p.to_ascii_lowercase().starts_with("password="))
                .collect();
            if kept.is_empty() {
                path.to_string()
            } else {
                format!("{path}?{}", kept.join("&"))
            }
        }
        None => tail.to_string(),
    };
    crate::text::sanitize(&format!("{scheme}://{authority}{tail}"))
}

/// The password file libpq reads: `PGPASSFILE`, else `~/.pgpass`.
fn pgpass_file() -> Option<PathBuf> {
    if let Some(f) = std::env::var_os("PGPASSFILE").filter(|f| !f.is_empty()) {
        return Some(PathBuf::from(f));
    }
    directories::BaseDirs::new().map(|d| d.home_dir().join(".pgpass"))
}

/// The password of the first line of the password file matching the connection
/// (`host:port:database:user:password`, `*` matching anything, `\` escaping `:` and `\`).
/// As libpq, a file that group or others can read is ignored (with a warning in the log).
fn from_pgpass(file: &Path, config: &postgres::Config) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(file).ok()?.permissions().mode();
        if mode & 0o077 != 0 {
            tracing::warn!(
                "the password file {} is readable by others and is not used (as libpq does); run chmod 600 on it",
                file.display()
            );
            return None;
        }
    }
    let text = std::fs::read_to_string(file).ok()?;
    let host = match config.get_hosts().first() {
        Some(postgres::config::Host::Tcp(h)) => h.clone(),
        // libpq matches a socket connection as "localhost".
        _ => "localhost".to_string(),
    };
    let port = config
        .get_ports()
        .first()
        .copied()
        .unwrap_or(5432)
        .to_string();
    let db = config.get_dbname().unwrap_or_default();
    let user = config.get_user().unwrap_or_default();
    let wanted = [host.as_str(), port.as_str(), db, user];
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .find_map(|line| {
            let fields = split_pgpass(line);
            if fields.len() < 5 {
                return None;
            }
            let matches = wanted.iter().zip(&fields).all(|(w, f)| f == "*" || f == w);
            matches.then(|| fields[4..].join(":"))
        })
}

/// One password-file line split at unescaped `:`.
fn split_pgpass(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let (Some(next), Some(last)) = (chars.next(), fields.last_mut()) {
                    last.push(next);
                }
            }
            ':' => fields.push(String::new()),
            c => {
                if let Some(last) = fields.last_mut() {
                    last.push(c);
                }
            }
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_is_never_shown() {
        let u = PgUrl::parse("postgres://ann:s3cret@db.example.com:5433/veriff?sslmode=require")
            .unwrap();
        assert_eq!(
            u.to_string(),
            "postgres://ann@db.example.com:5433/veriff?sslmode=require"
        );
        assert!(!format!("{u:?}").contains("s3cret"));
        let q = PgUrl::parse("postgres://ann@db/veriff?password=s3cret&sslmode=require").unwrap();
        assert_eq!(q.to_string(), "postgres://ann@db/veriff?sslmode=require");
        let socket = PgUrl::parse("postgres://ann:pw@/veriff?host=/run/postgresql").unwrap();
        assert_eq!(
            socket.to_string(),
            "postgres://ann@/veriff?host=/run/postgresql"
        );
    }

    #[test]
    fn a_url_without_a_database_or_of_another_scheme_is_refused() {
        assert!(PgUrl::parse("postgres://ann@db.example.com").is_err());
        let e = PgUrl::parse("mysql://ann:pw@db/x").unwrap_err();
        assert!(!e.contains("pw@"), "{e}");
    }

    #[test]
    fn libpq_tls_parameters_are_taken_out_for_the_driver() {
        let u = PgUrl::parse(
            "postgres://ann:pw@db:5433/veriff?sslmode=verify-ca&sslrootcert=%2Fetc%2Fteam%20ca.pem&application_name=x",
        )
        .unwrap();
        assert_eq!(
            u.tls(),
            &Tls {
                mode: SslMode::VerifyCa,
                root_cert: Some(PathBuf::from("/etc/team ca.pem")),
            }
        );
        assert_eq!(
            u.raw,
            "postgres://ann:pw@db:5433/veriff?application_name=x&sslmode=require"
        );
        assert!(u.shown().contains("sslrootcert=%2Fetc%2Fteam%20ca.pem"));
        assert!(!u.shown().contains("pw@"));
        for (mode, want, driver) in [
            ("disable", SslMode::Disable, "disable"),
            ("allow", SslMode::Prefer, "prefer"),
            ("prefer", SslMode::Prefer, "prefer"),
            ("require", SslMode::Require, "require"),
            ("verify-full", SslMode::VerifyFull, "require"),
        ] {
            let u = PgUrl::parse(&format!("postgres://ann@db/v?sslmode={mode}")).unwrap();
            assert_eq!(u.tls().mode, want, "{mode}");
            assert!(u.raw.ends_with(&format!("sslmode={driver}")), "{}", u.raw);
        }
        // libpq's default, and its word for the OS's trust store.
        let u = PgUrl::parse("postgres://ann@db/v?sslrootcert=system").unwrap();
        assert_eq!(u.tls().mode, SslMode::Prefer);
        assert_eq!(u.tls().root_cert, None);
        let e = PgUrl::parse("postgres://ann:pw@db/v?sslcert=me.pem").unwrap_err();
        assert!(e.contains("sslcert"), "{e}");
        let e = PgUrl::parse("postgres://ann:pw@db/v?sslmode=verify").unwrap_err();
        assert!(e.contains("sslmode=verify is not one of"), "{e}");
        assert!(!e.contains("pw@"), "{e}");
    }

    #[test]
    fn pgpass_lines_split_at_unescaped_colons() {
        assert_eq!(
            split_pgpass(r"db:*:veriff:ann:pa\:ss\\word"),
            vec!["db", "*", "veriff", "ann", r"pa:ss\word"]
        );
    }
}
