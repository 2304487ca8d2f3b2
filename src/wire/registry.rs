//! The server's table of live connections: process id → (secret key, cancel
//! flag, socket, busy bit).
//!
//! It serves two things that reach a connection from outside its thread:
//! a CancelRequest (which arrives on another connection and names the
//! target by pid and secret) and shutdown (which must wake idle connections
//! blocked in `read` and, after a grace period, cancel busy ones).
//!
//! Shutdown protocol, race-free without holding a lock across I/O: the
//! server sets `shutting_down` and then shuts the read side of every idle
//! socket; a connection clears its busy bit *before* checking the flag and
//! blocking in `read`. Either the connection sees the flag, or the server
//! sees it idle and wakes it (both use SeqCst).

use std::collections::HashMap;
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use subtle::ConstantTimeEq;

use crate::cancel::CancelFlag;

#[derive(Debug)]
struct Entry {
    /// A clone of the socket, to wake the thread at shutdown (None in tests
    /// over in-memory streams).
    socket: Option<TcpStream>,
    /// Set once the session exists (after authentication).
    key: Option<(i32, CancelFlag)>,
    busy: Arc<AtomicBool>,
}

/// Live connections. See the module docs.
#[derive(Debug)]
pub struct Registry {
    entries: Mutex<HashMap<i32, Entry>>,
    /// Signalled whenever a connection ends.
    ended: Condvar,
    next_pid: AtomicI32,
    shutting_down: AtomicBool,
}

impl Default for Registry {
    fn default() -> Self {
        Registry {
            entries: Mutex::new(HashMap::new()),
            ended: Condvar::new(),
            next_pid: AtomicI32::new(1),
            shutting_down: AtomicBool::new(false),
        }
    }
}

/// A connection's membership in the registry; leaving is dropping it.
#[derive(Debug)]
pub struct ConnHandle {
    registry: Arc<Registry>,
    pid: i32,
    busy: Arc<AtomicBool>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Arc<Registry> {
        Arc::new(Registry::default())
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<i32, Entry>> {
        // A poisoned map only means a thread panicked while holding the
        // lock; the map itself is always consistent (single insert/remove).
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Registers a new connection. It counts as idle until its first
    /// message after startup: a client stalling in startup or
    /// authentication must not hold up shutdown for the grace period.
    pub fn register(self: &Arc<Self>, socket: Option<TcpStream>) -> ConnHandle {
        let pid = self.next_pid.fetch_add(1, Ordering::Relaxed);
        let busy = Arc::new(AtomicBool::new(false));
        self.lock().insert(
            pid,
            Entry {
                socket,
                key: None,
                busy: busy.clone(),
            },
        );
        ConnHandle {
            registry: self.clone(),
            pid,
            busy,
        }
    }

    /// Number of live connections.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// True when no connection is live.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Handles a CancelRequest: sets the target's cancel flag if the secret
    /// matches (compared in constant time). Returns whether it did.
    pub fn cancel(&self, pid: i32, secret: i32) -> bool {
        let map = self.lock();
        let Some((key, flag)) = map.get(&pid).and_then(|e| e.key.as_ref()) else {
            return false;
        };
        if bool::from(key.to_be_bytes().ct_eq(&secret.to_be_bytes())) {
            flag.cancel();
            true
        } else {
            false
        }
    }

    /// True once shutdown began.
    pub fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::SeqCst)
    }

    /// Starts shutdown: sets the flag and wakes every idle connection.
    pub fn begin_shutdown(&self) {
        self.shutting_down.store(true, Ordering::SeqCst);
        for e in self.lock().values() {
            if !e.busy.load(Ordering::SeqCst) {
                wake(e);
            }
        }
    }

    /// Cancels every running statement and wakes every connection.
    pub fn cancel_all(&self) {
        for e in self.lock().values() {
            if let Some((_, flag)) = &e.key {
                flag.cancel();
            }
            wake(e);
        }
    }

    /// Waits until no connection is live or `timeout` passes; true if none is.
    pub fn wait_empty(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut map = self.lock();
        while !map.is_empty() {
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            map = match self.ended.wait_timeout(map, deadline - now) {
                Ok((m, _)) => m,
                Err(p) => p.into_inner().0,
            };
        }
        true
    }
}

/// Makes the connection's blocked `read` return EOF.
fn wake(e: &Entry) {
    if let Some(s) = &e.socket {
        let _ = s.shutdown(Shutdown::Read);
    }
}

impl ConnHandle {
    /// This connection's process id (BackendKeyData).
    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// Publishes the session's cancel key.
    pub fn set_key(&self, secret: i32, flag: CancelFlag) {
        if let Some(e) = self.registry.lock().get_mut(&self.pid) {
            e.key = Some((secret, flag));
        }
    }

    /// Authentication is over: lifts the socket's read timeout that bounds
    /// startup and authentication (PostgreSQL's `authentication_timeout`).
    pub fn authenticated(&self) {
        if let Some(Entry {
            socket: Some(s), ..
        }) = self.registry.lock().get(&self.pid)
        {
            let _ = s.set_read_timeout(None);
        }
    }

    /// Marks the connection idle, about to block for input. Returns true if
    /// the server is shutting down, in which case the connection must end.
    pub fn going_idle(&self) -> bool {
        self.busy.store(false, Ordering::SeqCst);
        self.registry.is_shutting_down()
    }

    /// Marks the connection busy with a message.
    pub fn set_busy(&self) {
        self.busy.store(true, Ordering::SeqCst);
    }

    /// True once shutdown began.
    pub fn shutting_down(&self) -> bool {
        self.registry.is_shutting_down()
    }
}

impl Drop for ConnHandle {
    fn drop(&mut self) {
        self.registry.lock().remove(&self.pid);
        self.registry.ended.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cancel_needs_the_right_secret() {
        let reg = Registry::new();
        let h = reg.register(None);
        let flag = CancelFlag::new();
        assert!(!reg.cancel(h.pid(), 5), "no key yet");
        h.set_key(5, flag.clone());
        assert!(!reg.cancel(h.pid(), 6));
        assert!(!reg.cancel(h.pid() + 1, 5));
        assert!(!flag.is_cancelled());
        assert!(reg.cancel(h.pid(), 5));
        assert!(flag.is_cancelled());
    }

    #[test]
    fn handles_leave_on_drop_and_wake_waiters() {
        let reg = Registry::new();
        let a = reg.register(None);
        let b = reg.register(None);
        assert_ne!(a.pid(), b.pid());
        assert_eq!(reg.len(), 2);
        assert!(!reg.wait_empty(Duration::from_millis(10)));
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            drop((a, b));
        });
        assert!(reg.wait_empty(Duration::from_secs(5)));
        t.join().unwrap();
    }

    #[test]
    fn shutdown_is_seen_by_idle_connections() {
        let reg = Registry::new();
        let h = reg.register(None);
        assert!(!h.going_idle());
        h.set_busy();
        reg.begin_shutdown();
        assert!(h.going_idle());
        let flag = CancelFlag::new();
        h.set_key(1, flag.clone());
        reg.cancel_all();
        assert!(flag.is_cancelled());
    }
}
