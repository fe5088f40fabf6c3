//! Free local TCP ports for control-plane processes.

use std::collections::HashSet;
use std::net::{Ipv4Addr, TcpListener};
use std::sync::{Mutex, OnceLock};

use super::error::{Error, Result};

/// Picks a port on 127.0.0.1 that is free now and was not handed out before in this process.
///
/// The port is released before the caller's process binds it, so another program can still
/// take it in between; callers retry their start when a bind fails.
pub(crate) fn free_port() -> Result<u16> {
    static HANDED_OUT: OnceLock<Mutex<HashSet<u16>>> = OnceLock::new();
    let handed_out = HANDED_OUT.get_or_init(Default::default);
    for _ in 0..100 {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .map_err(Error::io("binding a free port on", "127.0.0.1"))?;
        let port = listener
            .local_addr()
            .map_err(Error::io("reading the address of", "127.0.0.1"))?
            .port();
        let mut taken = handed_out
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if taken.insert(port) {
            return Ok(port);
        }
    }
    Err(Error::io("finding a free port on", "127.0.0.1")(
        std::io::Error::new(
            std::io::ErrorKind::AddrInUse,
            "no unused port after 100 attempts",
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_not_handed_out_twice() {
        let ports: HashSet<u16> = (0..50).map(|_| free_port().expect("port")).collect();
        assert_eq!(ports.len(), 50);
    }
}
