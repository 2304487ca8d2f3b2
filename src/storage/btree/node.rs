//! B+tree nodes: the slotted layout of leaf and branch pages, read in place
//! (no decoding into owned structures) and built from raw cells.
//!
//! ```text
//! node payload (page type Leaf or Branch):
//!   0  u8      level        0 for a leaf; a branch is one above its children
//!   1  u8      reserved     0
//!   2  u16 LE  n            cells
//!   4  u64 LE  leftmost     branch: the child left of every key; leaf: 0
//!  12  u16 LE × n           cell offsets (from the payload start), in key order
//!      cells
//!
//! leaf cell   := [u16 LE klen][u8 kind][u32 LE vlen][key][body]
//!                kind 0: body = the value (vlen bytes)
//!                kind 1: body = [u64 LE first overflow page]; the value
//!                        (vlen bytes) is a chain of Overflow pages
//! branch cell := [u16 LE klen][u64 LE child][key]
//! ```
//!
//! A branch with keys `k1 < … < kn` and children `c0 (leftmost), c1 … cn`
//! sends a key `k` to `ci` where `i` is the number of keys `≤ k`.
//!
//! **Limits.** A cell plus its slot never exceeds [`MAX_CELL`], a third of
//! the room in a node. That is what makes every split produce two pages that
//! fit: a node overflows by at most one cell, and a third-of-a-page cell can
//! always be balanced. Keys are at most [`MAX_KEY_LEN`] bytes; a value is
//! stored inline when its cell fits in `MAX_CELL`, otherwise in an overflow
//! chain (values up to [`MAX_VALUE_LEN`]).
//!
//! Every node read from disk passes [`validate`] once (offsets, lengths,
//! strictly increasing keys, sane page references), so accessors may index
//! without checks: nodes built here are valid by construction.

use std::cmp::Ordering;

use crate::storage::page::{PAYLOAD_CAP, Page, PageBuilder, PageId, PageType};

/// Bytes before the slot array.
pub const NODE_HEADER: usize = 12;
/// Room for slots and cells.
pub const NODE_ROOM: usize = PAYLOAD_CAP - NODE_HEADER;
/// The largest cell, including its 2-byte slot: a third of [`NODE_ROOM`].
pub const MAX_CELL: usize = NODE_ROOM / 3;
/// The longest key.
pub const MAX_KEY_LEN: usize = 2048;
/// The longest value (PostgreSQL's limit for one field, 1 GB).
pub const MAX_VALUE_LEN: usize = 1 << 30;
/// A node whose cells use less than this is rebalanced with a sibling.
pub const MIN_FILL: usize = NODE_ROOM / 4;
/// The highest level a node may have (a tree at most this + 1 deep): far
/// more than any real tree (fan-out is at least 3), small enough that a
/// corrupted level stops a descent early.
pub const MAX_LEVEL: u8 = 40;

const LEAF_CELL_HEADER: usize = 7;
const BRANCH_CELL_HEADER: usize = 10;
/// Cell kind: the value follows the key.
const INLINE: u8 = 0;
/// Cell kind: the value is in an overflow chain.
const OVERFLOW: u8 = 1;

/// Where a leaf cell's value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueRef<'a> {
    /// In the cell.
    Inline(&'a [u8]),
    /// In a chain of `len` bytes starting at `head`.
    Overflow {
        /// The first overflow page.
        head: PageId,
        /// The value's length.
        len: u64,
    },
}

fn u16_at(b: &[u8], at: usize) -> usize {
    usize::from(u16::from_le_bytes([b[at], b[at + 1]]))
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

/// A read-only view of a validated node page.
#[derive(Debug, Clone, Copy)]
pub struct Node<'a> {
    p: &'a [u8],
}

impl<'a> Node<'a> {
    /// Views a page that is a leaf or branch (validated or built here).
    pub fn new(page: &'a Page) -> Node<'a> {
        Node { p: page.payload() }
    }

    /// 0 for a leaf.
    pub fn level(&self) -> u8 {
        self.p[0]
    }

    /// True for a leaf.
    pub fn is_leaf(&self) -> bool {
        self.level() == 0
    }

    /// Number of cells.
    pub fn len(&self) -> usize {
        u16_at(self.p, 2)
    }

    /// True when there are no cells.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes of slots and cells in use.
    pub fn used(&self) -> usize {
        self.p.len() - NODE_HEADER
    }

    /// Cell `i`'s raw bytes.
    pub fn cell(&self, i: usize) -> &'a [u8] {
        let start = u16_at(self.p, NODE_HEADER + 2 * i);
        let end = if i + 1 < self.len() {
            u16_at(self.p, NODE_HEADER + 2 * (i + 1))
        } else {
            self.p.len()
        };
        &self.p[start..end]
    }

    /// Every cell, in order.
    pub fn cells(&self) -> impl Iterator<Item = &'a [u8]> + '_ {
        (0..self.len()).map(|i| self.cell(i))
    }

    /// Where cell `i` starts in the payload.
    pub fn offset(&self, i: usize) -> usize {
        u16_at(self.p, NODE_HEADER + 2 * i)
    }

    /// Key `i` (the hot path of every search: no slicing of the cell).
    pub fn key(&self, i: usize) -> &'a [u8] {
        let start = self.offset(i);
        let header = if self.is_leaf() {
            LEAF_CELL_HEADER
        } else {
            BRANCH_CELL_HEADER
        };
        let klen = u16_at(self.p, start);
        &self.p[start + header..start + header + klen]
    }

    /// Binary search: `Ok(i)` if key `i` equals `key`, else `Err(i)` where
    /// it would be inserted.
    pub fn search(&self, key: &[u8]) -> Result<usize, usize> {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            match self.key(mid).cmp(key) {
                Ordering::Less => lo = mid + 1,
                Ordering::Greater => hi = mid,
                Ordering::Equal => return Ok(mid),
            }
        }
        Err(lo)
    }

    /// Branch: the index (0 ..= len) of the child covering `key`.
    pub fn child_index(&self, key: &[u8]) -> usize {
        match self.search(key) {
            Ok(i) => i + 1,
            Err(i) => i,
        }
    }

    /// Branch: child `i` (0 is the leftmost).
    pub fn child(&self, i: usize) -> PageId {
        if i == 0 {
            u64_at(self.p, 4)
        } else {
            branch_child(self.cell(i - 1))
        }
    }

    /// Leaf: value `i`.
    pub fn value(&self, i: usize) -> ValueRef<'a> {
        leaf_value(self.cell(i))
    }
}

/// A leaf cell's key.
pub fn leaf_key(cell: &[u8]) -> &[u8] {
    &cell[LEAF_CELL_HEADER..LEAF_CELL_HEADER + u16_at(cell, 0)]
}

/// A leaf cell's value.
pub fn leaf_value(cell: &[u8]) -> ValueRef<'_> {
    let klen = u16_at(cell, 0);
    let body = &cell[LEAF_CELL_HEADER + klen..];
    let vlen = u32::from_le_bytes([cell[3], cell[4], cell[5], cell[6]]);
    if cell[2] == INLINE {
        ValueRef::Inline(body)
    } else {
        ValueRef::Overflow {
            head: u64_at(body, 0),
            len: u64::from(vlen),
        }
    }
}

/// A branch cell's key.
pub fn branch_key(cell: &[u8]) -> &[u8] {
    &cell[BRANCH_CELL_HEADER..]
}

/// A branch cell's child.
pub fn branch_child(cell: &[u8]) -> PageId {
    u64_at(cell, 2)
}

/// True if a value of `vlen` bytes is stored inline beside a `klen`-byte key.
pub fn fits_inline(klen: usize, vlen: usize) -> bool {
    2 + LEAF_CELL_HEADER + klen + vlen <= MAX_CELL
}

/// A leaf cell with an inline value.
pub fn inline_cell(key: &[u8], value: &[u8]) -> Vec<u8> {
    let mut c = Vec::with_capacity(LEAF_CELL_HEADER + key.len() + value.len());
    c.extend_from_slice(&(key.len() as u16).to_le_bytes());
    c.push(INLINE);
    c.extend_from_slice(&(value.len() as u32).to_le_bytes());
    c.extend_from_slice(key);
    c.extend_from_slice(value);
    c
}

/// A leaf cell whose value is an overflow chain.
pub fn overflow_cell(key: &[u8], head: PageId, len: u64) -> Vec<u8> {
    let mut c = Vec::with_capacity(LEAF_CELL_HEADER + key.len() + 8);
    c.extend_from_slice(&(key.len() as u16).to_le_bytes());
    c.push(OVERFLOW);
    c.extend_from_slice(&(len as u32).to_le_bytes());
    c.extend_from_slice(key);
    c.extend_from_slice(&head.to_le_bytes());
    c
}

/// A branch cell.
pub fn branch_cell(key: &[u8], child: PageId) -> Vec<u8> {
    let mut c = Vec::with_capacity(BRANCH_CELL_HEADER + key.len());
    c.extend_from_slice(&(key.len() as u16).to_le_bytes());
    c.extend_from_slice(&child.to_le_bytes());
    c.extend_from_slice(key);
    c
}

/// The same branch cell pointing at another child.
pub fn with_child(cell: &[u8], child: PageId) -> Vec<u8> {
    let mut c = cell.to_vec();
    c[2..10].copy_from_slice(&child.to_le_bytes());
    c
}

/// Bytes of slots and cells a node with these cells uses.
pub fn size_of<'c>(cells: impl IntoIterator<Item = &'c [u8]>) -> usize {
    cells.into_iter().map(|c| 2 + c.len()).sum()
}

/// Builds a node page's payload (seal it with its id).
pub fn build(level: u8, leftmost: PageId, cells: &[&[u8]]) -> PageBuilder {
    let ty = if level == 0 {
        PageType::Leaf
    } else {
        PageType::Branch
    };
    let mut b = PageBuilder::new(ty);
    b.append(&[level, 0]);
    b.append(&(cells.len() as u16).to_le_bytes());
    b.append(&leftmost.to_le_bytes());
    let mut off = NODE_HEADER + 2 * cells.len();
    for c in cells {
        b.append(&(off as u16).to_le_bytes());
        off += c.len();
    }
    for c in cells {
        b.append(c);
    }
    b
}

/// A leaf's new contents by bulk copies: `remove` (0 or 1) cells at `at`
/// replaced by `new` (if any). The result must fit (the caller checks with
/// [`spliced_size`]); cells stay contiguous and in slot order.
pub fn splice(n: &Node<'_>, at: usize, remove: usize, new: Option<&[u8]>) -> PageBuilder {
    let count = n.len();
    let added = usize::from(new.is_some());
    let new_count = count - remove + added;
    let new_len = new.map_or(0, <[u8]>::len);
    let cut_end = if at + remove < count {
        n.offset(at + remove)
    } else {
        n.p.len()
    };
    let cut_start = if at < count { n.offset(at) } else { n.p.len() };
    // Offsets move by the change in slot bytes, and after the splice point
    // also by the change in cell bytes.
    let slot_shift = 2 * new_count as isize - 2 * count as isize;
    let tail_shift = slot_shift + new_len as isize - (cut_end - cut_start) as isize;
    let mut slots = Vec::with_capacity(2 * new_count);
    let shifted = |off: usize, by: isize| ((off as isize + by) as u16).to_le_bytes();
    for i in 0..at {
        slots.extend_from_slice(&shifted(n.offset(i), slot_shift));
    }
    if new.is_some() {
        slots.extend_from_slice(&shifted(cut_start, slot_shift));
    }
    for i in at + remove..count {
        slots.extend_from_slice(&shifted(n.offset(i), tail_shift));
    }
    let mut b = PageBuilder::new(PageType::Leaf);
    b.append(&[0, 0]);
    b.append(&(new_count as u16).to_le_bytes());
    b.append(&[0; 8]);
    b.append(&slots);
    b.append(&n.p[NODE_HEADER + 2 * count..cut_start]);
    b.append(new.unwrap_or_default());
    b.append(&n.p[cut_end..]);
    b
}

/// A branch with child `i` replaced: the same bytes, one pointer patched.
pub fn relink(n: &Node<'_>, i: usize, child: PageId) -> PageBuilder {
    let mut b = PageBuilder::new(PageType::Branch);
    b.append(n.p);
    let at = if i == 0 { 4 } else { n.offset(i - 1) + 2 };
    b.patch(at, &child.to_le_bytes());
    b
}

/// Bytes of slots and cells [`splice`] would produce.
pub fn spliced_size(n: &Node<'_>, at: usize, remove: usize, new: Option<&[u8]>) -> usize {
    let removed: usize = (at..at + remove).map(|i| 2 + n.cell(i).len()).sum();
    n.used() - removed + new.map_or(0, |c| 2 + c.len())
}

/// The shortest key `s` with `left < s <= right` (`left < right`): a prefix
/// of `right`, so branches hold short separators.
pub fn separator(left: &[u8], right: &[u8]) -> Vec<u8> {
    let common = left.iter().zip(right).take_while(|(a, b)| a == b).count();
    right[..(common + 1).min(right.len())].to_vec()
}

/// Checks a leaf or branch page read from disk; other page types pass (the
/// chain reader checks those). `Err` says what is wrong.
pub fn validate(page: &Page) -> Result<(), String> {
    match page.page_type() {
        PageType::Leaf | PageType::Branch => {}
        _ => return Ok(()),
    }
    let p = page.payload();
    if p.len() < NODE_HEADER {
        return Err(format!("node of {} bytes", p.len()));
    }
    let (level, n) = (p[0], u16_at(p, 2));
    if (level == 0) != (page.page_type() == PageType::Leaf) || level > MAX_LEVEL {
        return Err(format!("level {level} in a {:?} page", page.page_type()));
    }
    if NODE_HEADER + 2 * n > p.len() {
        return Err(format!("{n} slots do not fit"));
    }
    let mut prev: Option<&[u8]> = None;
    let mut expect = NODE_HEADER + 2 * n;
    for i in 0..n {
        let start = u16_at(p, NODE_HEADER + 2 * i);
        let end = if i + 1 < n {
            u16_at(p, NODE_HEADER + 2 * (i + 1))
        } else {
            p.len()
        };
        if start != expect || end < start || end > p.len() {
            return Err(format!("cell {i} at {start}..{end}"));
        }
        expect = end;
        let key = check_cell(level, &p[start..end]).map_err(|r| format!("cell {i}: {r}"))?;
        if prev.is_some_and(|k| k >= key) {
            return Err(format!("cell {i}: keys out of order"));
        }
        prev = Some(key);
    }
    let leftmost = u64_at(p, 4);
    if (level == 0 && leftmost != 0) || (level > 0 && leftmost < 2) {
        return Err(format!("leftmost child {leftmost}"));
    }
    Ok(())
}

/// Checks one cell's lengths and references; returns its key.
fn check_cell(level: u8, c: &[u8]) -> Result<&[u8], String> {
    if c.len() < 2 {
        return Err("truncated".into());
    }
    let klen = u16_at(c, 0);
    if klen > MAX_KEY_LEN {
        return Err(format!("key of {klen} bytes"));
    }
    if level > 0 {
        if c.len() != BRANCH_CELL_HEADER + klen || branch_child(c) < 2 {
            return Err("bad branch cell".into());
        }
        return Ok(branch_key(c));
    }
    if c.len() < LEAF_CELL_HEADER + klen {
        return Err("truncated".into());
    }
    let vlen = u32::from_le_bytes([c[3], c[4], c[5], c[6]]) as usize;
    let body = c.len() - LEAF_CELL_HEADER - klen;
    let ok = match c[2] {
        INLINE => body == vlen,
        OVERFLOW => body == 8 && u64_at(c, LEAF_CELL_HEADER + klen) >= 2 && vlen <= MAX_VALUE_LEN,
        _ => false,
    };
    if !ok {
        return Err(format!(
            "bad value (kind {}, {vlen} bytes, body {body})",
            c[2]
        ));
    }
    Ok(leaf_key(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(cells: &[Vec<u8>]) -> Page {
        let refs: Vec<&[u8]> = cells.iter().map(Vec::as_slice).collect();
        build(0, 0, &refs).seal(7, 1)
    }

    #[test]
    fn leaf_build_search_and_values() {
        let cells = vec![
            inline_cell(b"apple", b"1"),
            overflow_cell(b"banana", 99, 100_000),
            inline_cell(b"cherry", b""),
        ];
        let page = leaf(&cells);
        validate(&page).expect("valid");
        let n = Node::new(&page);
        assert_eq!((n.len(), n.level(), n.is_leaf()), (3, 0, true));
        assert_eq!(n.search(b"banana"), Ok(1));
        assert_eq!(n.search(b"b"), Err(1));
        assert_eq!(n.search(b"zzz"), Err(3));
        assert_eq!(n.value(0), ValueRef::Inline(b"1"));
        assert_eq!(
            n.value(1),
            ValueRef::Overflow {
                head: 99,
                len: 100_000
            }
        );
        assert_eq!(n.value(2), ValueRef::Inline(b""));
        assert_eq!(n.used(), size_of(cells.iter().map(Vec::as_slice)));
    }

    #[test]
    fn splice_equals_a_rebuild() {
        let cells: Vec<Vec<u8>> = (0..5u8)
            .map(|i| inline_cell(&[b'a' + 2 * i], &vec![i; i as usize * 3]))
            .collect();
        let page = leaf(&cells);
        let n = Node::new(&page);
        let new = inline_cell(b"d", b"new value");
        for at in 0..=5 {
            for remove in 0..=usize::from(at < 5) {
                for add in [None, Some(&new[..])] {
                    let mut want: Vec<Vec<u8>> = cells.clone();
                    want.splice(at..at + remove, add.map(<[u8]>::to_vec));
                    let refs: Vec<&[u8]> = want.iter().map(Vec::as_slice).collect();
                    let rebuilt = build(0, 0, &refs).seal(7, 1);
                    let spliced = splice(&n, at, remove, add).seal(7, 1);
                    assert_eq!(
                        spliced,
                        rebuilt,
                        "at {at} remove {remove} add {}",
                        add.is_some()
                    );
                    assert_eq!(
                        spliced_size(&n, at, remove, add),
                        Node::new(&rebuilt).used()
                    );
                }
            }
        }
    }

    #[test]
    fn branch_children() {
        let cells = [branch_cell(b"m", 11), branch_cell(b"t", 12)];
        let refs: Vec<&[u8]> = cells.iter().map(Vec::as_slice).collect();
        let page = build(1, 10, &refs).seal(5, 1);
        validate(&page).expect("valid");
        let n = Node::new(&page);
        for (i, id) in [(0, 40), (1, 41), (2, 42)] {
            let p = relink(&n, i, id).seal(5, 1);
            validate(&p).expect("valid");
            assert_eq!(Node::new(&p).child(i), id);
            assert_eq!(Node::new(&p).child((i + 1) % 3), n.child((i + 1) % 3));
        }
        assert_eq!(n.child_index(b"a"), 0);
        assert_eq!(n.child_index(b"m"), 1);
        assert_eq!(n.child_index(b"s"), 1);
        assert_eq!(n.child_index(b"t"), 2);
        assert_eq!((n.child(0), n.child(1), n.child(2)), (10, 11, 12));
        assert_eq!(branch_child(&with_child(n.cell(0), 44)), 44);
    }

    #[test]
    fn separators_are_short_and_between() {
        for (l, r) in [
            (&b"abc"[..], &b"abd"[..]),
            (b"ab", b"abc"),
            (b"", b"a"),
            (b"a\xff", b"b"),
        ] {
            let s = separator(l, r);
            assert!(l < &s[..] && &s[..] <= r, "{l:?} {s:?} {r:?}");
        }
        assert_eq!(separator(b"apple", b"banana"), b"b");
    }

    #[test]
    fn damaged_nodes_fail_validation() {
        let good = leaf(&[inline_cell(b"a", b"x"), inline_cell(b"b", b"y")]);
        let payload = good.payload().to_vec();
        let reseal = |p: &[u8]| {
            let mut b = PageBuilder::new(PageType::Leaf);
            b.append(p);
            b.seal(7, 1)
        };
        // Out of order, bad lengths, wrong level, short payloads: all errors.
        let swapped = leaf(&[inline_cell(b"b", b"x"), inline_cell(b"a", b"y")]);
        assert!(validate(&swapped).is_err());
        for i in 0..payload.len() {
            for bit in [1u8, 0x80] {
                let mut p = payload.clone();
                p[i] ^= bit;
                let page = reseal(&p);
                if validate(&page).is_ok() {
                    // Whatever passes must be safe to read.
                    let n = Node::new(&page);
                    for j in 0..n.len() {
                        let _ = (n.key(j), n.value(j), n.search(n.key(j)));
                    }
                }
            }
            assert!(
                validate(&reseal(&payload[..i])).is_err(),
                "truncated at {i}"
            );
        }
        let mut p = payload.clone();
        p[0] = 1;
        assert!(
            validate(&reseal(&p)).is_err(),
            "branch level in a leaf page"
        );
        let mut p = payload;
        p[2] = 200;
        assert!(validate(&reseal(&p)).is_err(), "too many slots");
    }
}
