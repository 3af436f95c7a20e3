//! `jointscope serve`: the built page (scripts/build-web.sh → dist/web) on 127.0.0.1, static files
//! only, with the page's Content-Security-Policy also sent as a header. Nothing is accepted from
//! the browser but GET and HEAD of files under the folder.
//!
//! [`CSP`] is the one definition of the page's policy: `web/index.html` carries the same policy in
//! a `<meta>` (less `frame-ancestors`, which browsers ignore there), and a test checks the two agree.
use anyhow::Context;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};

/// The page's policy: everything from this origin, nothing sent elsewhere.
pub const CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; connect-src 'self'; \
img-src 'self' blob: data:; media-src 'self' blob: mediastream:; style-src 'self'; object-src 'none'; base-uri 'none'; \
form-action 'none'; frame-ancestors 'none'";

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "wasm" => "application/wasm",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "ts" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// The file a request path names inside `root`, refusing anything that climbs out of it.
pub fn resolve(root: &Path, request_path: &str) -> Option<PathBuf> {
    let path = request_path.split(['?', '#']).next().unwrap_or("");
    let mut out = root.to_path_buf();
    for c in Path::new(path.trim_start_matches('/')).components() {
        match c {
            Component::Normal(part) => out.push(part),
            Component::CurDir => {}
            _ => return None,
        }
    }
    if out.is_dir() {
        out.push("index.html");
    }
    out.is_file().then_some(out)
}

fn respond(mut stream: TcpStream, root: &Path) -> std::io::Result<()> {
    let mut line = String::new();
    let mut reader = BufReader::new(stream.try_clone()?);
    reader.read_line(&mut line)?;
    // Drain the headers; bodies are never read.
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h == "\r\n" || h == "\n" {
            break;
        }
    }
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
    let head = |status: &str, kind: &str, len: usize| {
        format!(
            "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {len}\r\nContent-Security-Policy: {CSP}\r\n\
             X-Content-Type-Options: nosniff\r\nCross-Origin-Opener-Policy: same-origin\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n"
        )
    };
    if method != "GET" && method != "HEAD" {
        return stream.write_all(head("405 Method Not Allowed", "text/plain", 0).as_bytes());
    }
    match resolve(root, target).and_then(|p| std::fs::read(&p).ok().map(|b| (p, b))) {
        Some((path, body)) => {
            stream.write_all(head("200 OK", content_type(&path), body.len()).as_bytes())?;
            if method == "GET" {
                stream.write_all(&body)?;
            }
            Ok(())
        }
        None => {
            let body = b"not found";
            stream.write_all(head("404 Not Found", "text/plain", body.len()).as_bytes())?;
            stream.write_all(body)
        }
    }
}

/// The part of [`CSP`] a `<meta http-equiv>` can carry (browsers ignore `frame-ancestors` there).
#[cfg(test)]
fn meta_policy() -> String {
    CSP.split(';').map(str::trim).filter(|d| !d.starts_with("frame-ancestors")).collect::<Vec<_>>().join("; ")
}

/// A bound, not yet serving, static file server.
pub struct Server {
    listener: TcpListener,
    root: PathBuf,
}

impl Server {
    /// Bind 127.0.0.1:`port` (0: any free port) to serve `root`, which must hold an `index.html`.
    pub fn bind(root: &Path, port: u16) -> anyhow::Result<Server> {
        if !root.join("index.html").is_file() {
            anyhow::bail!("{} has no index.html: build the page first with `bash scripts/build-web.sh`", root.display());
        }
        let listener = TcpListener::bind(("127.0.0.1", port)).with_context(|| format!("listening on 127.0.0.1:{port}"))?;
        Ok(Server { listener, root: root.to_path_buf() })
    }

    /// The address it listens on.
    pub fn addr(&self) -> std::io::Result<std::net::SocketAddr> {
        self.listener.local_addr()
    }

    /// Answer requests until the process ends.
    pub fn run(self) {
        for stream in self.listener.incoming().flatten() {
            let root = self.root.clone();
            std::thread::spawn(move || {
                let _ = respond(stream, &root);
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_stay_inside_the_folder() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("index.html"), "x").unwrap();
        std::fs::create_dir(d.path().join("pkg")).unwrap();
        std::fs::write(d.path().join("pkg/a.wasm"), "w").unwrap();
        assert_eq!(resolve(d.path(), "/"), Some(d.path().join("index.html")));
        assert_eq!(resolve(d.path(), "/pkg/a.wasm?v=1"), Some(d.path().join("pkg/a.wasm")));
        assert_eq!(resolve(d.path(), "/../etc/passwd"), None);
        assert_eq!(resolve(d.path(), "/pkg/../../x"), None);
        assert_eq!(resolve(d.path(), "/missing.js"), None);
        assert_eq!(content_type(Path::new("a.wasm")), "application/wasm");
    }

    #[test]
    fn every_page_carries_the_servers_policy() {
        let web = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../web"));
        let mut pages: Vec<PathBuf> =
            std::fs::read_dir(web).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "html")).collect();
        pages.sort();
        assert_eq!(pages.iter().map(|p| p.file_name().unwrap().to_str().unwrap()).collect::<Vec<_>>(), ["collect.html", "index.html"]);
        for page in pages {
            let html = std::fs::read_to_string(&page).unwrap();
            let start = html.find("http-equiv=\"Content-Security-Policy\" content=\"").expect("the page sets a policy") + 46;
            let policy = &html[start..start + html[start..].find('"').expect("closing quote")];
            assert_eq!(policy, meta_policy(), "{}", page.display());
            assert!(CSP.contains("frame-ancestors 'none'") && !policy.contains("frame-ancestors"));
        }
    }
}
