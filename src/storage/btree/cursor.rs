//! Range cursors: forward or backward iteration between two bounds.
//!
//! A cursor keeps the path from the root to its current leaf as a stack of
//! `(page, index)`; copy-on-write trees have no sibling links (a sibling
//! pointer would force copying the whole level), so moving to the next leaf
//! climbs to the nearest ancestor with another child and descends its edge.
//! The pages on the stack are pinned (`Arc`s) and immutable, and the cursor
//! holds its snapshot's epoch, so no page it may still visit is reused.
//!
//! For a leaf on the stack the index is the next cell to return (forward) or
//! one past it (backward); for a branch it is the child being visited.

use std::ops::Bound;
use std::sync::Arc;

use super::node::Node;
use super::read::{load_child, load_root, read_value};
use super::store::Snapshot;
use crate::error::Result;
use crate::storage::page::{Page, PageId, PageStore};

/// Where a cursor reads pages: a snapshot it owns (and keeps alive), or a
/// write transaction it borrows.
enum Source<'a> {
    Snapshot(Snapshot),
    Borrowed(&'a PageStore),
}

/// An iterator over `(key, value)` pairs of one tree in a range, in key
/// order or reverse key order. After an error it returns `None`.
pub struct Cursor<'a> {
    source: Source<'a>,
    root: PageId,
    stack: Vec<(Arc<Page>, usize)>,
    lower: Bound<Vec<u8>>,
    upper: Bound<Vec<u8>>,
    reverse: bool,
    started: bool,
    done: bool,
    /// The leaf and index of the entry [`Cursor::next_key`] returned last.
    last: Option<(Arc<Page>, usize)>,
}

impl std::fmt::Debug for Cursor<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cursor")
            .field("root", &self.root)
            .field("reverse", &self.reverse)
            .field("depth", &self.stack.len())
            .finish()
    }
}

fn owned(b: Bound<&[u8]>) -> Bound<Vec<u8>> {
    match b {
        Bound::Included(k) => Bound::Included(k.to_vec()),
        Bound::Excluded(k) => Bound::Excluded(k.to_vec()),
        Bound::Unbounded => Bound::Unbounded,
    }
}

impl<'a> Cursor<'a> {
    /// A cursor over a snapshot's tree rooted at `root`.
    pub(super) fn over_snapshot(
        snap: Snapshot,
        root: PageId,
        lower: Bound<&[u8]>,
        upper: Bound<&[u8]>,
        reverse: bool,
    ) -> Cursor<'static> {
        Cursor::new(Source::Snapshot(snap), root, lower, upper, reverse)
    }

    /// A cursor over a write transaction's tree rooted at `root`.
    pub(super) fn over_pages(
        pages: &'a PageStore,
        root: PageId,
        lower: Bound<&[u8]>,
        upper: Bound<&[u8]>,
        reverse: bool,
    ) -> Cursor<'a> {
        Cursor::new(Source::Borrowed(pages), root, lower, upper, reverse)
    }

    fn new(
        source: Source<'a>,
        root: PageId,
        lower: Bound<&[u8]>,
        upper: Bound<&[u8]>,
        reverse: bool,
    ) -> Cursor<'a> {
        Cursor {
            source,
            root,
            stack: Vec::new(),
            lower: owned(lower),
            upper: owned(upper),
            reverse,
            started: false,
            done: root == 0,
            last: None,
        }
    }

    fn pages(&self) -> &PageStore {
        match &self.source {
            Source::Snapshot(s) => s.pages(),
            Source::Borrowed(p) => p,
        }
    }

    /// Positions the stack at the starting bound.
    fn seek(&mut self) -> Result<()> {
        let bound = if self.reverse {
            self.upper.clone()
        } else {
            self.lower.clone()
        };
        let mut page = load_root(self.pages(), self.root)?;
        loop {
            let node = Node::new(&page);
            let len = node.len();
            if node.is_leaf() {
                let i = match (&bound, self.reverse) {
                    (Bound::Unbounded, false) => 0,
                    (Bound::Unbounded, true) => len,
                    (Bound::Included(k), false) => node.search(k).unwrap_or_else(|i| i),
                    (Bound::Excluded(k), false) | (Bound::Included(k), true) => {
                        node.search(k).map_or_else(|i| i, |i| i + 1)
                    }
                    (Bound::Excluded(k), true) => node.search(k).unwrap_or_else(|i| i),
                };
                self.stack.push((page, i));
                return Ok(());
            }
            let i = match &bound {
                Bound::Unbounded if self.reverse => len,
                Bound::Unbounded => 0,
                Bound::Included(k) | Bound::Excluded(k) => node.child_index(k),
            };
            let child = load_child(self.pages(), node.child(i), &page)?;
            self.stack.push((page, i));
            page = child;
        }
    }

    /// Descends from `page` along its first (forward) or last edge.
    fn descend_edge(&mut self, mut page: Arc<Page>) -> Result<()> {
        loop {
            let node = Node::new(&page);
            let i = if self.reverse { node.len() } else { 0 };
            if node.is_leaf() {
                self.stack.push((page, i));
                return Ok(());
            }
            let child = load_child(self.pages(), node.child(i), &page)?;
            self.stack.push((page, i));
            page = child;
        }
    }

    /// The leaf and cell index of the next entry in the iteration order,
    /// `None` past the far bound.
    fn step(&mut self) -> Result<Option<(Arc<Page>, usize)>> {
        loop {
            let Some((page, idx)) = self.stack.last_mut() else {
                return Ok(None);
            };
            let node = Node::new(page);
            if node.is_leaf() {
                let at = if self.reverse {
                    idx.checked_sub(1)
                } else {
                    Some(*idx).filter(|&i| i < node.len())
                };
                let Some(at) = at else {
                    self.stack.pop();
                    continue;
                };
                *idx = if self.reverse { at } else { at + 1 };
                let page = Arc::clone(page);
                if self.past_end(Node::new(&page).key(at)) {
                    return Ok(None);
                }
                return Ok(Some((page, at)));
            }
            let next = if self.reverse {
                idx.checked_sub(1)
            } else {
                Some(*idx + 1).filter(|&i| i <= node.len())
            };
            let Some(next) = next else {
                self.stack.pop();
                continue;
            };
            *idx = next;
            let parent = Arc::clone(page);
            let child = load_child(self.pages(), Node::new(&parent).child(next), &parent)?;
            self.descend_edge(child)?;
        }
    }

    /// True if `key` is past the far bound.
    fn past_end(&self, key: &[u8]) -> bool {
        if self.reverse {
            match &self.lower {
                Bound::Included(l) => key < l.as_slice(),
                Bound::Excluded(l) => key <= l.as_slice(),
                Bound::Unbounded => false,
            }
        } else {
            match &self.upper {
                Bound::Included(u) => key > u.as_slice(),
                Bound::Excluded(u) => key >= u.as_slice(),
                Bound::Unbounded => false,
            }
        }
    }

    fn advance(&mut self) -> Result<Option<(Arc<Page>, usize)>> {
        if !self.started {
            self.started = true;
            self.seek()?;
        }
        self.step()
    }

    /// The next position, or `None` at the end or after an error (which is
    /// returned once).
    fn next_pos(&mut self) -> Option<Result<(Arc<Page>, usize)>> {
        if self.done {
            return None;
        }
        match self.advance() {
            Ok(Some(pos)) => Some(Ok(pos)),
            Ok(None) => {
                self.finish();
                None
            }
            Err(e) => {
                self.finish();
                Some(Err(e))
            }
        }
    }

    fn finish(&mut self) {
        self.done = true;
        self.stack.clear();
        self.last = None;
    }

    /// Like [`Iterator::next`] but returns only the key, without reading
    /// the value (which may be large, or in overflow pages); then
    /// [`Cursor::value`] reads the value of that entry if it is wanted.
    /// Scans that decide from the key alone skip most values this way.
    pub fn next_key(&mut self) -> Option<Result<Vec<u8>>> {
        let r = self.next_pos()?;
        Some(r.map(|(page, at)| {
            let key = Node::new(&page).key(at).to_vec();
            self.last = Some((page, at));
            key
        }))
    }

    /// The value of the entry [`Cursor::next_key`] returned last.
    pub fn value(&self) -> Result<Vec<u8>> {
        let (page, at) = self.last.as_ref().ok_or_else(|| {
            crate::error::Error::Internal("Cursor::value before Cursor::next_key".into())
        })?;
        read_value(self.pages(), Node::new(page).value(*at), page)
    }
}

impl Iterator for Cursor<'_> {
    type Item = Result<(Vec<u8>, Vec<u8>)>;

    fn next(&mut self) -> Option<Self::Item> {
        let r = self.next_pos()?;
        let kv = r.and_then(|(page, at)| {
            let node = Node::new(&page);
            let value = read_value(self.pages(), node.value(at), &page)?;
            Ok((node.key(at).to_vec(), value))
        });
        if kv.is_err() {
            self.finish();
        }
        Some(kv)
    }
}
