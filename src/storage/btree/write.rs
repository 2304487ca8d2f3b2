//! The write path: copy-on-write insert and delete with splits, merges and
//! redistribution, overflow values, and dropping a whole tree.
//!
//! A change rewrites the leaf, then each ancestor whose child pointer
//! changed. A node still *private* to the open batch (allocated since the
//! last publish) is rewritten in place under the same page number, so its
//! parent does not change and the walk up stops there: within a batch, the
//! first change to a leaf copies its path once, later changes rewrite only
//! the leaf. Every other node is written to a new page and the old one is
//! freed (reused only when no reader or checkpoint can reach it).
//!
//! **Splits.** A node that no longer fits is split at the point that best
//! balances the two halves; since every cell is at most a third of a node,
//! both halves fit. A leaf split pushes up the shortest separator between
//! the halves; a branch split pushes up its middle key.
//!
//! **Deletion policy.** A node left using less than a quarter of its room
//! (`MIN_FILL`) is combined with a sibling: if both fit in one node they are
//! merged (the parent loses a key), otherwise their cells are split evenly
//! again (the parent's separator changes). A root branch with a single
//! child is replaced by that child; an empty root leaf leaves an empty tree.
//! So every node but the root stays at least a quarter full after deletes,
//! and space stays bounded.

use std::borrow::Cow;
use std::sync::Arc;

use super::node::{
    self, MAX_CELL, MIN_FILL, NODE_ROOM, Node, ValueRef, branch_cell, branch_child, branch_key,
    leaf_key,
};
use super::read::{Path, descend, load_child, load_node, load_root, read_value, value_pages};
use crate::error::{Error, Result};
use crate::storage::page::chain::{build_chain, chain_pages};
use crate::storage::page::{Page, PageId, PageStore, PageType, Writer};

/// The pages that replace a rewritten node, each with the separator that
/// precedes it in the parent (empty for the first).
type Parts = Vec<(Vec<u8>, PageId)>;

/// A node being rebuilt: cells borrowed from the old page or new.
struct Draft<'p> {
    level: u8,
    leftmost: PageId,
    cells: Vec<Cow<'p, [u8]>>,
}

impl<'p> Draft<'p> {
    fn from_node(n: Node<'p>) -> Draft<'p> {
        let leftmost = if n.is_leaf() { 0 } else { n.child(0) };
        Draft {
            level: n.level(),
            leftmost,
            cells: n.cells().map(Cow::Borrowed).collect(),
        }
    }

    fn child(&self, i: usize) -> PageId {
        if i == 0 {
            self.leftmost
        } else {
            branch_child(&self.cells[i - 1])
        }
    }

    fn set_child(&mut self, i: usize, id: PageId) {
        if i == 0 {
            self.leftmost = id;
        } else {
            let c = node::with_child(&self.cells[i - 1], id);
            self.cells[i - 1] = Cow::Owned(c);
        }
    }

    fn refs(&self) -> Vec<&[u8]> {
        self.cells.iter().map(|c| &c[..]).collect()
    }
}

/// Where to split `cells` (at least 3) so the larger half is smallest. A
/// leaf splits into `[..s]` and `[s..]`; a branch (`pivot`) into `[..s]`
/// and `[s + 1..]`, cell `s` going up. Both halves get at least one cell:
/// this never makes the larger half larger than a node, since an end cell
/// is at most a third of one. Returns `s`.
fn split_point(cells: &[&[u8]], pivot: bool) -> usize {
    let sizes: Vec<usize> = cells.iter().map(|c| 2 + c.len()).collect();
    let total: usize = sizes.iter().sum();
    let last = if pivot {
        cells.len() - 2
    } else {
        cells.len() - 1
    };
    let (mut best, mut best_max) = (1, usize::MAX);
    let mut left = sizes[0];
    for (s, &size) in sizes.iter().enumerate().take(last + 1).skip(1) {
        let right = total - left - if pivot { size } else { 0 };
        let worst = left.max(right);
        if worst < best_max {
            (best, best_max) = (s, worst);
        }
        left += size;
    }
    best
}

/// How an overfull node is split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Split {
    /// Two halves of equal size.
    Even,
    /// The change is at the right edge of the tree (keys arriving in
    /// ascending order, such as serial ids): the left node is left about
    /// 90% full and the rest goes right, so ascending loads fill pages
    /// instead of leaving them half empty.
    Append,
}

/// How full an append split leaves the left node.
const APPEND_FILL: usize = NODE_ROOM * 9 / 10;

/// Append split point: the longest prefix within [`APPEND_FILL`], leaving at
/// least one cell on the right (and the pivot, for a branch). `None` if the
/// right half would not fit.
fn append_point(cells: &[&[u8]], pivot: bool) -> Option<usize> {
    let last = cells.len() - if pivot { 2 } else { 1 };
    let (mut s, mut left) = (0, 0);
    while s < last && left + 2 + cells[s].len() <= APPEND_FILL {
        left += 2 + cells[s].len();
        s += 1;
    }
    let right = node::size_of(cells[s + usize::from(pivot)..].iter().copied());
    (s >= 1 && right <= NODE_ROOM).then_some(s)
}

/// The mutator: the page store and its writer, for one change.
pub struct Mutator<'a> {
    /// The shared store (reads, pool).
    pub pages: &'a PageStore,
    /// The writer's state (allocation, frees).
    pub w: &'a mut Writer,
}

impl Mutator<'_> {
    /// Inserts or replaces; returns the new root and the previous value.
    /// The caller has checked the key and value limits.
    pub fn insert(
        &mut self,
        root: PageId,
        key: &[u8],
        value: &[u8],
    ) -> Result<(PageId, Option<Vec<u8>>)> {
        let cell = self.make_cell(key, value)?;
        if root == 0 {
            let id = self.w.allocate(self.pages)?;
            self.write_node(id, 0, 0, &[&cell]);
            return Ok((id, None));
        }
        let (path, leaf) = descend(self.pages, root, key)?;
        let node = Node::new(&leaf);
        let (at, old) = match node.search(key) {
            Ok(i) => {
                let old = read_value(self.pages, node.value(i), &leaf)?;
                self.free_value(node.value(i), &leaf)?;
                (i, Some(old))
            }
            Err(i) => (i, None),
        };
        let remove = usize::from(old.is_some());
        let rightmost = path.iter().all(|(p, i)| *i == Node::new(p).len());
        let split = if rightmost && at == node.len() {
            Split::Append
        } else {
            Split::Even
        };
        let (parts, underfull) = self.rewrite_leaf(&leaf, at, remove, Some(cell), split)?;
        // A smaller replacement value can leave the leaf underfull; a leaf
        // that only grew is left alone (the rightmost leaf after an append
        // split is small on purpose).
        let underfull = underfull && old.is_some();
        let root = self
            .propagate(path, parts, underfull, split)?
            .unwrap_or(root);
        Ok((root, old))
    }

    /// Deletes; returns the new root (0: empty) and the removed value.
    pub fn delete(&mut self, root: PageId, key: &[u8]) -> Result<(PageId, Option<Vec<u8>>)> {
        if root == 0 {
            return Ok((0, None));
        }
        let (path, leaf) = descend(self.pages, root, key)?;
        let node = Node::new(&leaf);
        let Ok(i) = node.search(key) else {
            return Ok((root, None));
        };
        let old = read_value(self.pages, node.value(i), &leaf)?;
        self.free_value(node.value(i), &leaf)?;
        let (parts, underfull) = self.rewrite_leaf(&leaf, i, 1, None, Split::Even)?;
        let root = match self.propagate(path, parts, underfull, Split::Even)? {
            Some(r) => self.collapse(r)?,
            None => root,
        };
        Ok((root, Some(old)))
    }

    /// Frees every page of the tree at `root` (nodes and overflow chains).
    pub fn drop_tree(&mut self, root: PageId) -> Result<()> {
        if root == 0 {
            return Ok(());
        }
        let mut stack = vec![(root, None::<Arc<Page>>)];
        while let Some((id, parent)) = stack.pop() {
            let page = match &parent {
                None => load_root(self.pages, id)?,
                Some(p) => load_child(self.pages, id, p)?,
            };
            let n = Node::new(&page);
            if n.is_leaf() {
                for i in 0..n.len() {
                    self.free_value(n.value(i), &page)?;
                }
            } else {
                stack.extend((0..=n.len()).map(|i| (n.child(i), Some(Arc::clone(&page)))));
            }
            self.w.free(self.pages, id);
        }
        Ok(())
    }

    /// A leaf cell for `key` → `value`, writing an overflow chain if the
    /// value does not fit inline.
    fn make_cell(&mut self, key: &[u8], value: &[u8]) -> Result<Vec<u8>> {
        if node::fits_inline(key.len(), value.len()) {
            return Ok(node::inline_cell(key, value));
        }
        let n = chain_pages(value.len() as u64);
        let ids = (0..n)
            .map(|_| self.w.allocate(self.pages))
            .collect::<Result<Vec<_>>>()?;
        let generation = self.w.page_generation();
        for p in build_chain(PageType::Overflow, value, &ids, generation) {
            self.w.write(self.pages, p);
        }
        Ok(node::overflow_cell(key, ids[0], value.len() as u64))
    }

    /// Frees a value's overflow chain, if it has one.
    fn free_value(&mut self, v: ValueRef<'_>, leaf: &Page) -> Result<()> {
        for id in value_pages(self.pages, v, leaf)? {
            self.w.free(self.pages, id);
        }
        Ok(())
    }

    /// The page a rewrite of `old` goes to: `old` itself if private, else a
    /// new page (and `old` is freed).
    fn place(&mut self, old: PageId) -> Result<PageId> {
        if self.w.is_private(old) {
            return Ok(old);
        }
        self.w.free(self.pages, old);
        self.w.allocate(self.pages)
    }

    fn write_node(&mut self, id: PageId, level: u8, leftmost: PageId, cells: &[&[u8]]) {
        let page = node::build(level, leftmost, cells).seal(id, self.w.page_generation());
        self.w.write(self.pages, page);
    }

    /// Rewrites a leaf with `remove` cells at `at` replaced by `new`: by
    /// bulk copies when the result fits, else through a split.
    fn rewrite_leaf(
        &mut self,
        leaf: &Page,
        at: usize,
        remove: usize,
        new: Option<Vec<u8>>,
        split: Split,
    ) -> Result<(Parts, bool)> {
        let n = Node::new(leaf);
        let size = node::spliced_size(&n, at, remove, new.as_deref());
        if size <= NODE_ROOM {
            let id = self.place(leaf.id())?;
            let page = node::splice(&n, at, remove, new.as_deref());
            self.w
                .write(self.pages, page.seal(id, self.w.page_generation()));
            return Ok((vec![(Vec::new(), id)], size < MIN_FILL));
        }
        let mut d = Draft::from_node(n);
        d.cells.splice(at..at + remove, new.map(Cow::Owned));
        self.rewrite(leaf.id(), &d, split)
    }

    /// Writes a node's new contents in place of `old`, split in two if they
    /// do not fit. Returns the parts and whether a single part is underfull.
    fn rewrite(&mut self, old: PageId, d: &Draft<'_>, split: Split) -> Result<(Parts, bool)> {
        let cells = d.refs();
        let size = node::size_of(cells.iter().copied());
        if size <= NODE_ROOM {
            let id = self.place(old)?;
            self.write_node(id, d.level, d.leftmost, &cells);
            return Ok((vec![(Vec::new(), id)], size < MIN_FILL));
        }
        let left = self.place(old)?;
        let right = self.w.allocate(self.pages)?;
        let sep = self.write_split(d.level, d.leftmost, &cells, (left, right), split)?;
        Ok((vec![(Vec::new(), left), (sep, right)], false))
    }

    /// Writes `cells` split evenly into pages `left` and `right`; returns
    /// the separator for the parent.
    fn write_split(
        &mut self,
        level: u8,
        leftmost: PageId,
        cells: &[&[u8]],
        (left, right): (PageId, PageId),
        split: Split,
    ) -> Result<Vec<u8>> {
        let leaf = level == 0;
        if cells.len() < 4 {
            // Cells are at most a third of a node, so an overfull node has
            // at least four.
            return Err(Error::Internal(format!(
                "B-tree split of {} cells",
                cells.len()
            )));
        }
        let s = match split {
            Split::Append => append_point(cells, !leaf),
            Split::Even => None,
        }
        .unwrap_or_else(|| split_point(cells, !leaf));
        let (lcells, rcells, sep, rleft) = if leaf {
            let sep = node::separator(leaf_key(cells[s - 1]), leaf_key(cells[s]));
            (&cells[..s], &cells[s..], sep, 0)
        } else {
            let pivot = cells[s];
            (
                &cells[..s],
                &cells[s + 1..],
                branch_key(pivot).to_vec(),
                branch_child(pivot),
            )
        };
        for half in [lcells, rcells] {
            let size = node::size_of(half.iter().copied());
            if size > NODE_ROOM {
                return Err(Error::Internal(format!(
                    "B-tree split left {size} bytes in a node of {NODE_ROOM} (cells up to {MAX_CELL})"
                )));
            }
        }
        self.write_node(left, level, leftmost, lcells);
        self.write_node(right, level, rleft, rcells);
        Ok(sep)
    }

    /// Carries a rewritten child up the path, rewriting parents as needed.
    /// Returns the new root, or `None` if the root did not change.
    fn propagate(
        &mut self,
        path: Path,
        mut parts: Parts,
        mut underfull: bool,
        split: Split,
    ) -> Result<Option<PageId>> {
        // The level of the node `parts` replaces: the leaf's, then each parent's.
        let mut level = 0;
        for (page, idx) in path.into_iter().rev() {
            let node = Node::new(&page);
            level = node.level();
            if parts.len() == 1 && parts[0].1 == node.child(idx) && !underfull {
                return Ok(None);
            }
            if parts.len() == 1 && !underfull {
                // Only the child pointer changes: patch a copy.
                let id = self.place(page.id())?;
                let b = node::relink(&node, idx, parts[0].1);
                self.w
                    .write(self.pages, b.seal(id, self.w.page_generation()));
                parts = vec![(Vec::new(), id)];
                continue;
            }
            let mut d = Draft::from_node(node);
            d.set_child(idx, parts[0].1);
            for (k, (sep, id)) in parts.iter().enumerate().skip(1) {
                d.cells
                    .insert(idx + k - 1, Cow::Owned(branch_cell(sep, *id)));
            }
            if underfull && parts.len() == 1 && !d.cells.is_empty() {
                self.rebalance(&mut d, idx)?;
            }
            (parts, underfull) = self.rewrite(page.id(), &d, split)?;
        }
        if parts.len() == 1 {
            return Ok(Some(parts[0].1));
        }
        let id = self.w.allocate(self.pages)?;
        let cells: Vec<Vec<u8>> = parts[1..].iter().map(|(s, c)| branch_cell(s, *c)).collect();
        let refs: Vec<&[u8]> = cells.iter().map(Vec::as_slice).collect();
        self.write_node(id, level + 1, parts[0].1, &refs);
        Ok(Some(id))
    }

    /// Combines underfull child `idx` of `d` with a sibling: merged into one
    /// node if they fit, otherwise split evenly again.
    fn rebalance(&mut self, d: &mut Draft<'_>, idx: usize) -> Result<()> {
        let (l, r) = if idx > 0 {
            (idx - 1, idx)
        } else {
            (idx, idx + 1)
        };
        let level = d.level - 1;
        let (lid, rid) = (d.child(l), d.child(r));
        // The child just rewritten is newer than the parent's old page;
        // nothing is newer than the pages being written now.
        let newest = self.w.page_generation();
        let lp = load_node(self.pages, lid, Some(level), newest)?;
        let rp = load_node(self.pages, rid, Some(level), newest)?;
        let (ln, rn) = (Node::new(&lp), Node::new(&rp));
        let sep = branch_key(&d.cells[r - 1]).to_vec();
        let glue = (level > 0).then(|| branch_cell(&sep, rn.child(0)));
        let mut cells: Vec<&[u8]> = ln.cells().collect();
        cells.extend(glue.as_deref());
        cells.extend(rn.cells());
        let leftmost = if level > 0 { ln.child(0) } else { 0 };
        if node::size_of(cells.iter().copied()) <= NODE_ROOM {
            let id = self.place(lid)?;
            self.write_node(id, level, leftmost, &cells);
            self.w.free(self.pages, rid);
            d.cells.remove(r - 1);
            d.set_child(l, id);
            return Ok(());
        }
        let left = self.place(lid)?;
        let right = self.place(rid)?;
        let sep = self.write_split(level, leftmost, &cells, (left, right), Split::Even)?;
        d.set_child(l, left);
        d.cells[r - 1] = Cow::Owned(branch_cell(&sep, right));
        Ok(())
    }

    /// Shrinks the root: a branch with one child is replaced by the child,
    /// an empty leaf by the empty tree.
    fn collapse(&mut self, mut root: PageId) -> Result<PageId> {
        loop {
            let page = load_root(self.pages, root)?;
            let n = Node::new(&page);
            if !n.is_empty() {
                return Ok(root);
            }
            self.w.free(self.pages, root);
            if n.is_leaf() {
                return Ok(0);
            }
            let child = n.child(0);
            load_child(self.pages, child, &page)?;
            root = child;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn append_splits_fill_the_left_node() {
        let a = vec![1u8; 500];
        let cells: Vec<&[u8]> = vec![&a; 17];
        let s = append_point(&cells, false).expect("fits");
        assert_eq!(s, APPEND_FILL / 502);
        assert!(node::size_of(cells[..s].iter().copied()) <= APPEND_FILL);
        assert!(append_point(&cells, true).is_some_and(|p| p < 16));
    }

    #[test]
    fn split_points_balance() {
        let a = vec![1u8; 100];
        let b = vec![1u8; 1000];
        let cells: Vec<&[u8]> = vec![&a, &a, &a, &b];
        assert_eq!(
            split_point(&cells, false),
            3,
            "the big cell alone on the right"
        );
        let cells: Vec<&[u8]> = vec![&a, &a, &a, &a];
        assert_eq!(split_point(&cells, false), 2);
        let cells: Vec<&[u8]> = vec![&a, &a, &a, &a, &a];
        assert_eq!(split_point(&cells, true), 2, "pivot in the middle");
        let cells: Vec<&[u8]> = vec![&b, &a, &a, &a, &a];
        assert_eq!(split_point(&cells, true), 1, "never an empty half");
        let cells: Vec<&[u8]> = vec![&a, &a, &a, &a, &b];
        assert_eq!(split_point(&cells, true), 3, "never an empty half");
    }
}
