//! `jointscope serve`: the built page (scripts/build-web.sh → dist/web) on 127.0.0.1, static files
//! only, with the page's Content-Security-Policy also sent as a header. Nothing is accepted from
//! the browser but GET and HEAD of files under the folder.
use anyhow::Context;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};

/// The policy the page also sets in a `<meta>`: everything from this origin, nothing sent elsewhere.
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

/// Serve `root` on 127.0.0.1:`port` until interrupted.
pub fn serve(root: &Path, port: u16) -> anyhow::Result<()> {
    if !root.join("index.html").is_file() {
        anyhow::bail!("{} has no index.html: build the page first with `bash scripts/build-web.sh`", root.display());
    }
    let listener = TcpListener::bind(("127.0.0.1", port)).with_context(|| format!("listening on 127.0.0.1:{port}"))?;
    let addr = listener.local_addr()?;
    println!("serving {} on http://{addr}/ (Ctrl-C to stop)", root.display());
    let root = root.to_path_buf();
    for stream in listener.incoming().flatten() {
        let root = root.clone();
        std::thread::spawn(move || {
            let _ = respond(stream, &root);
        });
    }
    Ok(())
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
}
