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
use crate::storage::page::chain::read_chain;
use crate::storage::page::{Page, PageId, PageStore, PageType};

/// Loads a node. `level` is the level the caller expects (a child's is its
/// parent's minus one); `None` for a root, which only has to be a node.
pub fn load_node(pages: &PageStore, id: PageId, level: Option<u8>) -> Result<Arc<Page>> {
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
    Ok(page)
}

/// The level a child of `page` must have.
pub fn child_level(pages: &PageStore, page: &Page) -> Result<u8> {
    let level = Node::new(page).level();
    level.checked_sub(1).ok_or_else(|| {
        pages.corrupted(
            page.id(),
            format!("page {}: a leaf has no children", page.id()),
        )
    })
}

/// Descends from `root` to the leaf that holds (or would hold) `key`.
/// Returns the branches passed, each with the index of the child taken, and
/// the leaf.
pub fn descend(
    pages: &PageStore,
    root: PageId,
    key: &[u8],
) -> Result<(Vec<(Arc<Page>, usize)>, Arc<Page>)> {
    let mut path = Vec::new();
    let mut page = load_node(pages, root, None)?;
    while !Node::new(&page).is_leaf() {
        let node = Node::new(&page);
        let i = node.child_index(key);
        let child = load_node(pages, node.child(i), Some(child_level(pages, &page)?))?;
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
    let mut page = load_node(pages, root, None)?;
    loop {
        let node = Node::new(&page);
        if node.is_leaf() {
            return match node.search(key) {
                Ok(i) => read_value(pages, node.value(i)).map(Some),
                Err(_) => Ok(None),
            };
        }
        let child = node.child(node.child_index(key));
        page = load_node(pages, child, Some(child_level(pages, &page)?))?;
    }
}

/// A value's bytes, following its overflow chain if it has one.
pub fn read_value(pages: &PageStore, v: ValueRef<'_>) -> Result<Vec<u8>> {
    match v {
        ValueRef::Inline(b) => Ok(b.to_vec()),
        ValueRef::Overflow { head, len } => read_chain(
            PageType::Overflow,
            head,
            len,
            |id| {
                if id < 2 {
                    return Err(pages.corrupted(id, format!("overflow link to page {id}")));
                }
                pages.read(id)
            },
            |id, r| pages.corrupted(id, r),
        ),
    }
}

/// The tree's height (levels; 0 for an empty tree).
pub fn height(pages: &PageStore, root: PageId) -> Result<u32> {
    if root == 0 {
        return Ok(0);
    }
    let page = load_node(pages, root, None)?;
    Ok(u32::from(Node::new(&page).level()) + 1)
}
