//! Loopback ports for servers a test cannot hand a socket to: a child process that
//! must be told its port up front (`seamless serve --public-url`, chromedriver), or a
//! Docker deploy whose public port is in its configuration.
//!
//! Binding port 0, reading the number and closing the socket leaves a window in which
//! the kernel gives the same port to anyone else binding port 0 or connecting out.
//! A [`Reserved`] port cannot be taken that way: it comes from below the kernel's
//! ephemeral range (`net.ipv4.ip_local_port_range`), which the kernel never hands
//! out by itself, and it is locked (an `flock` on a file under the temp directory)
//! for as long as the value lives, so no other test process on the machine picks it.

use std::fs::File;
use std::net::TcpListener;
use std::path::PathBuf;

/// The lowest port handed out.
const FIRST: u16 = 20000;

/// A loopback port no other test holds, free when reserved, for as long as this lives.
#[derive(Debug)]
pub struct Reserved {
    port: u16,
    _lock: File,
}

impl Reserved {
    /// The port number.
    pub fn port(&self) -> u16 {
        self.port
    }
}

/// Reserves a port: see the module's documentation. Panics when every port of the
/// range is taken.
pub fn reserve() -> Reserved {
    let last = ephemeral_start().saturating_sub(1).max(FIRST + 1000);
    let dir = std::env::temp_dir().join("seamless-test-ports");
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    let span = u32::from(last - FIRST) + 1;
    let start = std::process::id() % span;
    for i in 0..span {
        let port = FIRST + ((start + i) % span) as u16;
        if let Some(reserved) = try_reserve(&dir, port) {
            return reserved;
        }
    }
    panic!("every loopback port from {FIRST} to {last} is taken or reserved")
}

/// Reserves a port for the rest of the process and returns its number: for tests
/// whose helpers pass plain numbers around (nextest runs each test in a process of
/// its own, so the port is held for exactly that test).
pub fn reserve_for_process() -> u16 {
    static HELD: std::sync::Mutex<Vec<Reserved>> = std::sync::Mutex::new(Vec::new());
    let reserved = reserve();
    let port = reserved.port();
    HELD.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push(reserved);
    port
}

fn try_reserve(dir: &std::path::Path, port: u16) -> Option<Reserved> {
    let path: PathBuf = dir.join(format!("{port}.lock"));
    let lock = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .ok()?;
    lock.try_lock().ok()?;
    // Locked, so no test takes it from here on; nothing else may hold it already.
    let free = TcpListener::bind(("127.0.0.1", port)).is_ok()
        && TcpListener::bind(("0.0.0.0", port)).is_ok();
    free.then_some(Reserved { port, _lock: lock })
}

/// The first port of the kernel's ephemeral range (32768 when it cannot be read).
fn ephemeral_start() -> u16 {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|n| n.parse().ok()))
        .unwrap_or(32768)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_ports_are_distinct_outside_the_ephemeral_range_and_bindable() {
        let a = reserve();
        let b = reserve();
        assert_ne!(a.port(), b.port());
        for p in [&a, &b] {
            assert!(
                p.port() >= FIRST && p.port() < ephemeral_start(),
                "{}",
                p.port()
            );
            let listener = TcpListener::bind(("127.0.0.1", p.port()));
            assert!(listener.is_ok(), "port {} is not free", p.port());
        }
        let again = a.port();
        drop(a);
        // Released: the lock is gone, so the port can be reserved again.
        let dir = std::env::temp_dir().join("seamless-test-ports");
        assert!(try_reserve(&dir, again).is_some());
    }
}
