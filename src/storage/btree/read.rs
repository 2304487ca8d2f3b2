//! The read path: loading nodes with level checks, descending, point
//! lookups and reading values (inline or overflow).
//!
//! Every descent checks that a child's level is exactly one below its
//! parent's, so a corrupted child pointer that loops back up the tree (or to
//! itself) is a `Corrupted` error at the first wrong level, and no descent
//! takes more than [`MAX_LEVEL`] + 1 steps.

use std::sync::Arc;

use super::node::{MAX_LEVEL, Node, ValueRef};
use crate::error::Result;
use crate::storage::page::chain::{chain_ids, read_chain};
use crate::storage::page::{Page, PageId, PageStore, PageType};

/// Loads a root node: any level, written no later than the pages being
/// written now (a root from an old catalog whose page was since reused has
/// a newer generation).
pub fn load_root(pages: &PageStore, id: PageId) -> Result<Arc<Page>> {
    load_node(pages, id, None, pages.generation_limit())
}

/// Loads child `id` of `parent`: exactly one level below it, and written
/// no later than it (copy-on-write writes a parent after its children, so a
/// child newer than its parent is a stale pointer to a reused page).
pub fn load_child(pages: &PageStore, id: PageId, parent: &Page) -> Result<Arc<Page>> {
    let level = Node::new(parent).level().checked_sub(1).ok_or_else(|| {
        pages.corrupted(
            parent.id(),
            format!("page {}: a leaf has no children", parent.id()),
        )
    })?;
    load_node(pages, id, Some(level), parent.generation())
}

/// Loads a node, checking its type, its level (`None`: any) and that its
/// generation is at most `max_gen`.
pub fn load_node(
    pages: &PageStore,
    id: PageId,
    level: Option<u8>,
    max_gen: u64,
) -> Result<Arc<Page>> {
    if id < 2 {
        return Err(pages.corrupted(id, format!("B-tree node reference to page {id}")));
    }
    let page = pages.read(id)?;
    match page.page_type() {
        PageType::Leaf | PageType::Branch => {}
        other => {
            return Err(pages.corrupted(
                id,
                format!("page {id}: {other:?} page where a B-tree node belongs"),
            ));
        }
    }
    let got = Node::new(&page).level();
    if level.is_some_and(|want| want != got) || got > MAX_LEVEL {
        return Err(pages.corrupted(
            id,
            format!("page {id}: node level {got}, expected {level:?} (a cycle or a stray pointer)"),
        ));
    }
    if page.generation() > max_gen {
        return Err(pages.corrupted(
            id,
            format!(
                "page {id}: written at generation {}, after the page pointing to it ({max_gen})",
                page.generation()
            ),
        ));
    }
    Ok(page)
}

/// The branches passed on the way to a leaf, each with the index of the
/// child taken.
pub type Path = Vec<(Arc<Page>, usize)>;

/// Descends from `root` to the leaf that holds (or would hold) `key`.
/// Returns the path and the leaf.
pub fn descend(pages: &PageStore, root: PageId, key: &[u8]) -> Result<(Path, Arc<Page>)> {
    let mut path = Vec::new();
    let mut page = load_root(pages, root)?;
    while !Node::new(&page).is_leaf() {
        let node = Node::new(&page);
        let i = node.child_index(key);
        let child = load_child(pages, node.child(i), &page)?;
        path.push((page, i));
        page = child;
    }
    Ok((path, page))
}

/// The value stored under `key` in the tree at `root` (0: empty tree).
pub fn get(pages: &PageStore, root: PageId, key: &[u8]) -> Result<Option<Vec<u8>>> {
    if root == 0 {
        return Ok(None);
    }
    let mut page = load_root(pages, root)?;
    loop {
        let node = Node::new(&page);
        if node.is_leaf() {
            return match node.search(key) {
                Ok(i) => read_value(pages, node.value(i), &page).map(Some),
                Err(_) => Ok(None),
            };
        }
        let child = node.child(node.child_index(key));
        page = load_child(pages, child, &page)?;
    }
}

/// A value's bytes, following its overflow chain if it has one. `leaf` is
/// the page holding it: overflow pages are never newer than their leaf.
pub fn read_value(pages: &PageStore, v: ValueRef<'_>, leaf: &Page) -> Result<Vec<u8>> {
    match v {
        ValueRef::Inline(b) => Ok(b.to_vec()),
        ValueRef::Overflow { head, len } => read_chain(
            PageType::Overflow,
            head,
            len,
            |id| overflow_page(pages, id, leaf),
            |id, r| pages.corrupted(id, r),
        ),
    }
}

/// The pages of a value's overflow chain (none for an inline value).
pub fn value_pages(pages: &PageStore, v: ValueRef<'_>, leaf: &Page) -> Result<Vec<PageId>> {
    match v {
        ValueRef::Inline(_) => Ok(Vec::new()),
        ValueRef::Overflow { head, len } => chain_ids(
            PageType::Overflow,
            head,
            len,
            |id| overflow_page(pages, id, leaf),
            |id, r| pages.corrupted(id, r),
        ),
    }
}

fn overflow_page(pages: &PageStore, id: PageId, leaf: &Page) -> Result<Arc<Page>> {
    if id < 2 {
        return Err(pages.corrupted(id, format!("overflow link to page {id}")));
    }
    let page = pages.read(id)?;
    if page.generation() > leaf.generation() {
        return Err(pages.corrupted(
            id,
            format!(
                "page {id}: overflow page of generation {} under a leaf of generation {}",
                page.generation(),
                leaf.generation()
            ),
        ));
    }
    Ok(page)
}

/// The tree's height (levels; 0 for an empty tree).
pub fn height(pages: &PageStore, root: PageId) -> Result<u32> {
    if root == 0 {
        return Ok(0);
    }
    let page = load_root(pages, root)?;
    Ok(u32::from(Node::new(&page).level()) + 1)
}
