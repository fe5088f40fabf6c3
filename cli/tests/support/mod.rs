//! Shared fixtures: a counting HTTP server, envtest archives and indexes built on the fly, and
//! a `kubesmith` command isolated from the caller's environment.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use flate2::Compression;
use flate2::write::GzEncoder;
use sha2::{Digest, Sha512};

/// A tiny HTTP/1.1 server on 127.0.0.1 that serves fixed bodies and records every request path.
pub struct Server {
    address: String,
    routes: Arc<Mutex<HashMap<String, Vec<u8>>>>,
    requests: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let address = listener.local_addr().expect("local addr").to_string();
        let routes: Arc<Mutex<HashMap<String, Vec<u8>>>> = Arc::default();
        let requests: Arc<Mutex<Vec<String>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (routes, requests, stop) = (routes.clone(), requests.clone(), stop.clone());
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    if let Ok(stream) = stream {
                        handle(stream, &routes, &requests);
                    }
                }
            })
        };
        Self {
            address,
            routes,
            requests,
            stop,
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// Serves `body` at `path` from now on.
    pub fn serve(&self, path: &str, body: impl Into<Vec<u8>>) {
        self.routes
            .lock()
            .expect("routes lock")
            .insert(path.to_owned(), body.into());
    }

    /// The paths requested so far, in order.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().expect("requests lock").clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(&self.address);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn handle(
    stream: TcpStream,
    routes: &Mutex<HashMap<String, Vec<u8>>>,
    requests: &Mutex<Vec<String>>,
) {
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(clone) => clone,
        Err(_) => return,
    });
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    loop {
        let mut header = String::new();
        match reader.read_line(&mut header) {
            Ok(0) | Err(_) => break,
            Ok(_) if header == "\r\n" || header == "\n" => break,
            Ok(_) => {}
        }
    }
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .to_owned();
    requests.lock().expect("requests lock").push(path.clone());
    let body = routes.lock().expect("routes lock").get(&path).cloned();
    let mut stream = stream;
    let (status, body) = match body {
        Some(body) => ("200 OK", body),
        None => ("404 Not Found", b"not found".to_vec()),
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(&body);
    let _ = stream.flush();
}

/// The contents a fake binary `name` gets in [`envtest_archive`].
pub fn fake_binary(name: &str) -> Vec<u8> {
    format!("#!/bin/sh\necho fake {name}\n").into_bytes()
}

/// A release archive in the controller-tools layout, with deliberately non-executable modes
/// (the installer must fix them).
pub fn envtest_archive() -> Vec<u8> {
    let mut entries = vec![("controller-tools/envtest/".to_owned(), None)];
    for name in ["etcd", "kube-apiserver", "kubectl"] {
        entries.push((
            format!("controller-tools/envtest/{name}"),
            Some(fake_binary(name)),
        ));
    }
    tar_gz(&entries)
}

/// Builds a .tar.gz; `None` contents make a directory entry.
pub fn tar_gz(entries: &[(String, Option<Vec<u8>>)]) -> Vec<u8> {
    let mut builder = tar::Builder::new(GzEncoder::new(Vec::new(), Compression::fast()));
    for (path, contents) in entries {
        let mut header = tar::Header::new_gnu();
        match contents {
            Some(contents) => {
                header.set_entry_type(tar::EntryType::Regular);
                header.set_mode(0o644);
                header.set_size(contents.len() as u64);
                builder
                    .append_data(&mut header, path, contents.as_slice())
                    .expect("append file");
            }
            None => {
                header.set_entry_type(tar::EntryType::Directory);
                header.set_mode(0o755);
                header.set_size(0);
                builder
                    .append_data(&mut header, path, std::io::empty())
                    .expect("append dir");
            }
        }
    }
    builder
        .into_inner()
        .expect("finish tar")
        .finish()
        .expect("finish gzip")
}

pub fn sha512_hex(bytes: &[u8]) -> String {
    hex::encode(Sha512::digest(bytes))
}

/// One index entry: version, os, arch, the archive URL and the hash the index claims.
pub struct IndexEntry {
    pub version: &'static str,
    pub os: &'static str,
    pub arch: &'static str,
    pub url: String,
    pub sha512: String,
}

/// An `envtest-releases.yaml` document listing `entries`.
pub fn index_yaml(entries: &[IndexEntry]) -> String {
    let mut yaml = String::from("releases:\n");
    let mut versions: Vec<&str> = entries.iter().map(|e| e.version).collect();
    versions.dedup();
    for version in versions {
        yaml.push_str(&format!("  v{version}:\n"));
        for entry in entries.iter().filter(|e| e.version == version) {
            yaml.push_str(&format!(
                "    envtest-v{version}-{}-{}.tar.gz:\n      hash: {}\n      selfLink: {}\n",
                entry.os, entry.arch, entry.sha512, entry.url
            ));
        }
    }
    yaml
}

/// Publishes `archive` as linux/amd64 release `version` on `server` and returns the index entry.
pub fn publish(server: &Server, version: &'static str, archive: &[u8]) -> IndexEntry {
    let path = format!("/releases/envtest-v{version}-linux-amd64.tar.gz");
    server.serve(&path, archive.to_vec());
    IndexEntry {
        version,
        os: "linux",
        arch: "amd64",
        url: server.url(&path),
        sha512: sha512_hex(archive),
    }
}

/// Serves an index of `entries` at `/envtest-releases.yaml` and returns its URL.
pub fn serve_index(server: &Server, entries: &[IndexEntry]) -> String {
    server.serve("/envtest-releases.yaml", index_yaml(entries));
    server.url("/envtest-releases.yaml")
}

/// A URL where nothing listens (port 1 on loopback): connections are refused immediately.
pub fn unreachable_url() -> String {
    "http://127.0.0.1:1/envtest-releases.yaml".to_owned()
}

/// Everything under `<root>/k8s`, as sorted names.
pub fn store_contents(root: &Path) -> Vec<String> {
    let mut names: Vec<String> = match std::fs::read_dir(root.join("k8s")) {
        Ok(read) => read
            .map(|entry| {
                entry
                    .expect("dir entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    names.sort();
    names
}

#[cfg(unix)]
pub fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The `kubesmith` binary with the envtest environment variables of the caller removed and the
/// Go fallback disabled, so a test only does what it asks for.
pub fn kubesmith() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kubesmith"));
    command
        .env_remove("KUBESMITH_ENVTEST_INDEX")
        .env_remove("ENVTEST_INSTALLED_ONLY")
        .env("KUBESMITH_ENVTEST_NO_GO_BUILD", "true");
    command
}

/// Runs a command and returns (success, stdout, stderr).
pub fn run(command: &mut Command) -> (bool, String, String) {
    let output = command.output().expect("run kubesmith");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// `<root>/k8s/1.37.2-linux-amd64` and friends.
pub fn version_dir(root: &Path, version: &str) -> PathBuf {
    root.join("k8s").join(format!("{version}-linux-amd64"))
}
