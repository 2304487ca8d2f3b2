//! A full integrity check of a store: every tree's structure, and an exact
//! account of every page. Tests run it after every phase; a repair tool or
//! `amcheck`-like command could too.
//!
//! Checked: node levels decrease by one per step and all leaves are at the
//! same depth; every key lies within the bounds its ancestors' separators
//! give it; keys are strictly increasing across leaves; entry counts match
//! the catalog; overflow chains read back whole; leaves other than the root
//! and the rightmost are at least `MIN_FILL` full, and non-root branches
//! have at least one key; and
//! the reachable pages, free pages, pending pages and checkpoint pages are
//! disjoint and together are exactly pages `2..page_count`.

use std::collections::{BTreeMap, BTreeSet};

use super::node::{MIN_FILL, Node};
use super::read::{load_child, load_root, read_value, value_pages};
use super::store::BTreeStore;
use crate::error::{Error, Result};
use crate::storage::page::{Page, PageId, PageStore};

/// What the check found in one tree.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TreeReport {
    /// Entries.
    pub entries: u64,
    /// Levels.
    pub height: u32,
    /// Leaf and branch pages.
    pub nodes: u64,
    /// Overflow pages.
    pub overflow_pages: u64,
}

/// Checks the store (waiting for any open write transaction); the first
/// inconsistency is an error.
pub fn verify(store: &BTreeStore) -> Result<BTreeMap<String, TreeReport>> {
    let pages = store.pages();
    store.with_writer(|w, trees| {
        let mut seen = BTreeSet::new();
        let mut out = BTreeMap::new();
        for (name, t) in trees {
            let mut c = Checker {
                pages,
                seen: &mut seen,
                report: TreeReport::default(),
                last_key: None,
                leaf_depth: None,
            };
            if t.root != 0 {
                c.node(t.root, None, (None, None), 0)?;
            }
            if c.report.entries != t.len {
                return Err(bad(format!(
                    "tree \"{name}\": {} entries, catalog says {}",
                    c.report.entries, t.len
                )));
            }
            out.insert(name.clone(), c.report);
        }
        let (count, free, pending, meta) = w.accounting();
        for id in free.into_iter().chain(pending).chain(meta) {
            if !seen.insert(id) {
                return Err(bad(format!(
                    "page {id} is both in use and free (or listed twice)"
                )));
            }
        }
        let expected: BTreeSet<PageId> = (2..count).collect();
        if seen != expected {
            let leaked: Vec<_> = expected.difference(&seen).take(10).collect();
            let beyond: Vec<_> = seen.difference(&expected).take(10).collect();
            return Err(bad(format!(
                "pages leaked: {leaked:?}; beyond the page count: {beyond:?}"
            )));
        }
        Ok(out)
    })?
}

fn bad(reason: String) -> Error {
    Error::Internal(format!("B-tree check: {reason}"))
}

struct Checker<'a> {
    pages: &'a PageStore,
    seen: &'a mut BTreeSet<PageId>,
    report: TreeReport,
    last_key: Option<Vec<u8>>,
    leaf_depth: Option<u32>,
}

impl Checker<'_> {
    fn claim(&mut self, id: PageId) -> Result<()> {
        if !self.seen.insert(id) {
            return Err(bad(format!("page {id} is reachable twice")));
        }
        Ok(())
    }

    /// Checks the subtree at `id`, whose keys must lie in `[lo, hi)`.
    fn node(
        &mut self,
        id: PageId,
        parent: Option<&Page>,
        (lo, hi): (Option<&[u8]>, Option<&[u8]>),
        depth: u32,
    ) -> Result<()> {
        self.claim(id)?;
        self.report.nodes += 1;
        let page = match parent {
            None => load_root(self.pages, id)?,
            Some(p) => load_child(self.pages, id, p)?,
        };
        let n = Node::new(&page);
        let root = depth == 0;
        if root {
            self.report.height = u32::from(n.level()) + 1;
        }
        for i in 0..n.len() {
            let k = n.key(i);
            if lo.is_some_and(|lo| k < lo) || hi.is_some_and(|hi| k >= hi) {
                return Err(bad(format!(
                    "page {id}: key {i} outside its parent's bounds"
                )));
            }
        }
        if n.is_leaf() {
            // The rightmost leaf may be underfull: ascending inserts split
            // it unevenly and fill it afterwards.
            return self.leaf(&page, root || hi.is_none(), depth);
        }
        if !root && n.is_empty() {
            return Err(bad(format!("page {id}: non-root branch without keys")));
        }
        for i in 0..=n.len() {
            let clo = if i == 0 { lo } else { Some(n.key(i - 1)) };
            let chi = if i == n.len() { hi } else { Some(n.key(i)) };
            self.node(n.child(i), Some(&page), (clo, chi), depth + 1)?;
        }
        Ok(())
    }

    fn leaf(&mut self, page: &Page, may_underfill: bool, depth: u32) -> Result<()> {
        let (n, id) = (Node::new(page), page.id());
        if *self.leaf_depth.get_or_insert(depth) != depth {
            return Err(bad(format!("page {id}: leaf at depth {depth}")));
        }
        if !may_underfill && n.used() < MIN_FILL {
            return Err(bad(format!("page {id}: leaf uses {} bytes", n.used())));
        }
        for i in 0..n.len() {
            let k = n.key(i);
            if self.last_key.as_deref().is_some_and(|last| last >= k) {
                return Err(bad(format!(
                    "page {id}: key {i} not above the previous leaf's"
                )));
            }
            self.last_key = Some(k.to_vec());
            for p in value_pages(self.pages, n.value(i), page)? {
                self.claim(p)?;
                self.report.overflow_pages += 1;
            }
            read_value(self.pages, n.value(i), page)?;
            self.report.entries += 1;
        }
        Ok(())
    }
}
