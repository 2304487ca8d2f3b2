//! Epochs: which published versions readers may still be reading, so that a
//! page replaced by copy-on-write is reused only when no reader can reach it.
//!
//! Every publish creates an [`Epoch`] with the next number; the published
//! state holds it in an `Arc`, and every reader's snapshot holds that state.
//! A page freed by the batch that published epoch `e` was reachable in
//! epoch `e - 1` and earlier; it may be reused once the oldest epoch still
//! held is `>= e`. Only the newest epoch can gain holders (readers clone the
//! published state), so an older epoch whose holders are gone is gone for
//! good.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, Weak};

/// A published version; held (in an `Arc`) by whoever may read it.
#[derive(Debug)]
pub struct Epoch {
    id: u64,
}

impl Epoch {
    /// The epoch's number (increases by one per publish).
    pub fn id(&self) -> u64 {
        self.id
    }
}

/// The epochs that may still have holders, oldest first.
#[derive(Debug, Default)]
pub struct Epochs {
    list: Mutex<VecDeque<(u64, Weak<Epoch>)>>,
}

impl Epochs {
    /// Creates epoch `id` (larger than every earlier one) and tracks it.
    pub fn register(&self, id: u64) -> Arc<Epoch> {
        let e = Arc::new(Epoch { id });
        self.lock().push_back((id, Arc::downgrade(&e)));
        e
    }

    /// The oldest epoch someone still holds (`u64::MAX` if none is held).
    pub fn oldest_in_use(&self) -> u64 {
        let mut list = self.lock();
        while let Some((_, w)) = list.front() {
            if w.strong_count() > 0 {
                break;
            }
            list.pop_front();
        }
        list.front().map_or(u64::MAX, |(id, _)| *id)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<(u64, Weak<Epoch>)>> {
        // Every mutation is one push or pop: a panic cannot leave it half done.
        self.list.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oldest_held_epoch_is_tracked() {
        let eps = Epochs::default();
        assert_eq!(eps.oldest_in_use(), u64::MAX);
        let e1 = eps.register(1);
        let e2 = eps.register(2);
        let reader = Arc::clone(&e1);
        drop(e1);
        assert_eq!(eps.oldest_in_use(), 1, "a reader still holds epoch 1");
        drop(reader);
        assert_eq!(eps.oldest_in_use(), 2);
        let e3 = eps.register(3);
        drop(e2);
        assert_eq!(eps.oldest_in_use(), 3);
        assert_eq!(e3.id(), 3);
    }
}
