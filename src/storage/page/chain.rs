//! Chains: a byte string spread over linked pages (the catalog, the free
//! list, and B-tree values too large for a leaf).
//!
//! ```text
//! chain page payload := [u64 LE next page (0 = last)][data]
//! ```
//!
//! Every page but the last is full ([`CHAIN_DATA`] bytes of data), so a
//! chain of `len` bytes has exactly `chain_pages(len)` pages. A reader knows
//! `len` from whoever points at the chain and stops after that many pages:
//! a corrupted `next` that loops is caught by the length, not followed
//! forever.

use std::sync::Arc;

use super::layout::{PAYLOAD_CAP, Page, PageBuilder, PageId, PageType};
use crate::error::{Error, Result};

/// Data bytes per chain page.
pub const CHAIN_DATA: usize = PAYLOAD_CAP - 8;

/// Pages needed for `len` bytes (0 for an empty string).
pub fn chain_pages(len: u64) -> u64 {
    len.div_ceil(CHAIN_DATA as u64)
}

/// Builds the pages of a chain holding `data`, at the given ids (exactly
/// `chain_pages(data.len())` of them).
pub fn build_chain(ty: PageType, data: &[u8], ids: &[PageId], generation: u64) -> Vec<Page> {
    assert_eq!(
        ids.len() as u64,
        chain_pages(data.len() as u64),
        "invariant: one id per chain page"
    );
    data.chunks(CHAIN_DATA)
        .enumerate()
        .map(|(i, part)| {
            let next = ids.get(i + 1).copied().unwrap_or(0);
            let mut b = PageBuilder::new(ty);
            b.append(&next.to_le_bytes());
            b.append(part);
            b.seal(ids[i], generation)
        })
        .collect()
}

/// Reads a chain of `len` bytes starting at `head`, through `read`.
/// `corrupted` builds the error for a page that does not fit the chain.
pub fn read_chain(
    ty: PageType,
    head: PageId,
    len: u64,
    read: impl Fn(PageId) -> Result<Arc<Page>>,
    corrupted: impl Fn(PageId, String) -> Error,
) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(usize::try_from(len).unwrap_or(0).min(1 << 30));
    let mut id = head;
    let pages = chain_pages(len);
    for (i, _) in (0..pages).enumerate() {
        let page = read(id)?;
        let (next, data) = chain_page(ty, &page).map_err(|r| corrupted(id, r))?;
        let want = if (i as u64) + 1 < pages {
            CHAIN_DATA
        } else {
            (len - (out.len() as u64)) as usize
        };
        if data.len() != want {
            return Err(corrupted(
                id,
                format!(
                    "page {id}: chain page holds {} bytes, expected {want}",
                    data.len()
                ),
            ));
        }
        out.extend_from_slice(data);
        let last = (i as u64) + 1 == pages;
        if last != (next == 0) {
            return Err(corrupted(
                id,
                format!("page {id}: chain link {next} at position {i} of {pages}"),
            ));
        }
        id = next;
    }
    Ok(out)
}

/// The ids of a chain's pages, following the links (to free them).
pub fn chain_ids(
    ty: PageType,
    head: PageId,
    len: u64,
    read: impl Fn(PageId) -> Result<Arc<Page>>,
    corrupted: impl Fn(PageId, String) -> Error,
) -> Result<Vec<PageId>> {
    let pages = chain_pages(len);
    let mut ids = Vec::with_capacity(usize::try_from(pages).unwrap_or(0).min(1 << 20));
    let mut id = head;
    for i in 0..pages {
        if id == 0 {
            return Err(corrupted(
                ids.last().copied().unwrap_or(head),
                format!("chain ends after {i} of {pages} pages"),
            ));
        }
        ids.push(id);
        let page = read(id)?;
        id = chain_page(ty, &page).map_err(|r| corrupted(id, r))?.0;
    }
    Ok(ids)
}

/// A chain page's link and data.
fn chain_page(ty: PageType, page: &Page) -> std::result::Result<(PageId, &[u8]), String> {
    if page.page_type() != ty {
        return Err(format!(
            "page {}: type {:?} where a {ty:?} page belongs",
            page.id(),
            page.page_type()
        ));
    }
    let p = page.payload();
    if p.len() < 8 {
        return Err(format!("page {}: chain page without a link", page.id()));
    }
    let mut a = [0u8; 8];
    a.copy_from_slice(&p[..8]);
    Ok((u64::from_le_bytes(a), &p[8..]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn store(pages: Vec<Page>) -> HashMap<PageId, Arc<Page>> {
        pages.into_iter().map(|p| (p.id(), Arc::new(p))).collect()
    }

    fn read_from(m: &HashMap<PageId, Arc<Page>>) -> impl Fn(PageId) -> Result<Arc<Page>> + '_ {
        |id| {
            m.get(&id)
                .cloned()
                .ok_or_else(|| Error::corrupted("t", id, "missing"))
        }
    }

    fn corrupt(id: PageId, r: String) -> Error {
        Error::corrupted("t", id, r)
    }

    #[test]
    fn chains_round_trip_at_every_boundary() {
        for len in [
            0,
            1,
            CHAIN_DATA - 1,
            CHAIN_DATA,
            CHAIN_DATA + 1,
            3 * CHAIN_DATA + 5,
        ] {
            let data: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
            let n = chain_pages(len as u64);
            let ids: Vec<PageId> = (0..n).map(|i| 10 + 3 * i).collect();
            let m = store(build_chain(PageType::Catalog, &data, &ids, 1));
            let head = ids.first().copied().unwrap_or(0);
            let got = read_chain(PageType::Catalog, head, len as u64, read_from(&m), corrupt);
            assert_eq!(got.expect("read"), data, "len {len}");
            let got = chain_ids(PageType::Catalog, head, len as u64, read_from(&m), corrupt);
            assert_eq!(got.expect("ids"), ids);
        }
    }

    #[test]
    fn bad_chains_are_corrupted() {
        let data = vec![1u8; 2 * CHAIN_DATA];
        let mut m = store(build_chain(PageType::Overflow, &data, &[5, 6], 1));
        // Wrong type, wrong length claimed, a loop.
        let r = |m: &HashMap<PageId, Arc<Page>>, ty, len| {
            read_chain(ty, 5, len, read_from(m), corrupt).is_err()
        };
        assert!(r(&m, PageType::Catalog, data.len() as u64));
        assert!(r(&m, PageType::Overflow, data.len() as u64 + 1));
        assert!(r(&m, PageType::Overflow, data.len() as u64 - 1));
        let looped = build_chain(PageType::Overflow, &data, &[5, 5], 1);
        m.insert(5, Arc::new(looped[0].clone()));
        assert!(r(&m, PageType::Overflow, 3 * CHAIN_DATA as u64));
    }
}
