//! Framing: the byte buffers between a socket and the protocol messages.
//!
//! Every message after startup is `[u8 tag][i32 length][length - 4 bytes]`,
//! the length counting itself but not the tag. The startup packet has no tag:
//! `[i32 length][length - 4 bytes]`.
//!
//! [`InBuf`] reads from the socket in large chunks (one `read` may bring a
//! whole pipeline of Bind/Execute messages) and hands out one frame at a time,
//! bounding every length before it trusts it. It grows only as bytes actually
//! arrive, so a client that announces a 1 GiB message and sends nothing costs
//! nothing. [`OutBuf`] collects a whole response and is written with one
//! syscall at the points the connection chooses (ReadyForQuery, Flush, before
//! blocking on input, or when it passes [`FLUSH_THRESHOLD`]); writing a
//! syscall per message is what made an earlier attempt wait on delayed ACKs.
//! Both buffers live as long as the connection and are reused.

use std::io::{self, Read, Write};

use crate::error::{Error, Result};

/// The largest message a client may send (PostgreSQL's `PQ_LARGE_MESSAGE_LIMIT`
/// is 1 GiB too); the 4-byte length word included.
pub const MAX_MESSAGE_LEN: usize = 1 << 30;

/// The largest message before authentication completes (PostgreSQL's
/// `PG_MAX_AUTH_TOKEN_LENGTH`): an unauthenticated client cannot make the
/// server buffer more than this.
pub const MAX_AUTH_MESSAGE_LEN: usize = 65_535;

/// The largest startup packet (PostgreSQL's `MAX_STARTUP_PACKET_LENGTH`).
pub const MAX_STARTUP_LEN: usize = 10_000;

/// The output buffer is written out once it holds this many bytes, even in
/// the middle of a response, so a large result streams instead of piling up.
pub const FLUSH_THRESHOLD: usize = 64 * 1024;

/// Every message type a frontend may send. A message of any other type is
/// refused as soon as its tag is read, as PostgreSQL does, rather than after
/// waiting for a body whose length came from garbage.
const FRONTEND_TAGS: &[u8] = b"BCcDdEFfHPpQSX";

/// The input buffer's normal size; it grows for larger messages and shrinks
/// back afterwards.
const IN_CAPACITY: usize = 16 * 1024;

/// Above this size an idle input buffer is shrunk back to [`IN_CAPACITY`].
const IN_SHRINK_ABOVE: usize = 1 << 20;

/// One complete message in an [`InBuf`]: its tag and where its body lies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame {
    /// The message type byte (0 for the untagged startup packet).
    pub tag: u8,
    /// Start of the body in the buffer.
    start: usize,
    /// End of the body in the buffer.
    end: usize,
}

impl Frame {
    /// Body length in bytes.
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    /// True for an empty body.
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
}

/// Buffered input from a client. See the module docs.
///
/// Invariant: `start <= end <= buf.len()`; bytes `start..end` are received
/// and not yet consumed.
#[derive(Debug)]
pub struct InBuf {
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// Bytes of the last frame handed out, consumed on the next read.
    pending: usize,
    /// Messages longer than this (length word included) are refused.
    max_len: usize,
}

impl Default for InBuf {
    fn default() -> Self {
        InBuf::new()
    }
}

impl InBuf {
    /// An empty buffer.
    pub fn new() -> InBuf {
        InBuf {
            buf: vec![0; IN_CAPACITY],
            start: 0,
            end: 0,
            pending: 0,
            max_len: MAX_MESSAGE_LEN,
        }
    }

    /// Sets the longest message accepted (at most [`MAX_MESSAGE_LEN`]).
    pub fn set_max_message_len(&mut self, max: usize) {
        self.max_len = max.min(MAX_MESSAGE_LEN);
    }

    /// True when a whole tagged message is already buffered, so reading the
    /// next one will not block.
    pub fn has_message(&self) -> bool {
        let avail = &self.buf[self.start + self.pending..self.end];
        match avail.get(1..5) {
            Some(len) => {
                let len = i32::from_be_bytes([len[0], len[1], len[2], len[3]]);
                len >= 4 && avail.len() > len as usize
            }
            None => false,
        }
    }

    /// True when received bytes are waiting to be read (beyond the last frame).
    pub fn has_bytes(&self) -> bool {
        self.start + self.pending < self.end
    }

    /// The body of a frame returned by this buffer.
    pub fn body(&self, frame: &Frame) -> &[u8] {
        &self.buf[frame.start..frame.end]
    }

    /// Reads the next tagged message. `Ok(None)` on a clean EOF between
    /// messages; EOF inside a message is an error, as is a length outside
    /// 4..=[`MAX_MESSAGE_LEN`] (or the lower limit set).
    pub fn read_message<R: Read>(&mut self, r: &mut R) -> Result<Option<Frame>> {
        self.consume_pending();
        if !self.fill(r, 5)? {
            return Ok(None);
        }
        let tag = self.buf[self.start];
        if !FRONTEND_TAGS.contains(&tag) {
            return Err(Error::Protocol(format!(
                "invalid frontend message type {tag}"
            )));
        }
        let len = self.be_i32(self.start + 1);
        if len < 4 || len as usize > self.max_len {
            return Err(Error::Protocol(format!(
                "invalid message length {len} for message type \"{}\"",
                char::from(tag).escape_default()
            )));
        }
        let total = 1 + len as usize;
        if !self.fill(r, total)? {
            return Err(eof_in_message());
        }
        Ok(Some(self.take(tag, 5, total)))
    }

    /// Reads the untagged startup packet (`[i32 length][body]`), bounded by
    /// [`MAX_STARTUP_LEN`]. `Ok(None)` on EOF before any byte.
    pub fn read_startup<R: Read>(&mut self, r: &mut R) -> Result<Option<Frame>> {
        self.consume_pending();
        if !self.fill(r, 4)? {
            return Ok(None);
        }
        let len = self.be_i32(self.start);
        if len < 8 || len as usize > MAX_STARTUP_LEN {
            return Err(Error::Protocol("invalid length of startup packet".into()));
        }
        let total = len as usize;
        if !self.fill(r, total)? {
            return Err(Error::Protocol("incomplete startup packet".into()));
        }
        Ok(Some(self.take(0, 4, total)))
    }

    /// Hands out `start..start+total` as a frame whose body skips `header`
    /// bytes; the bytes are consumed on the next read.
    fn take(&mut self, tag: u8, header: usize, total: usize) -> Frame {
        self.pending = total;
        Frame {
            tag,
            start: self.start + header,
            end: self.start + total,
        }
    }

    fn consume_pending(&mut self) {
        self.start += self.pending;
        self.pending = 0;
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
            if self.buf.len() > IN_SHRINK_ABOVE {
                self.buf = vec![0; IN_CAPACITY];
            }
        }
    }

    fn be_i32(&self, at: usize) -> i32 {
        let b = &self.buf[at..at + 4];
        i32::from_be_bytes([b[0], b[1], b[2], b[3]])
    }

    /// Ensures `need` unconsumed bytes are buffered. `Ok(false)` on EOF
    /// before that; EOF after some but not all bytes of a message is reported
    /// by the caller.
    fn fill<R: Read>(&mut self, r: &mut R, need: usize) -> Result<bool> {
        while self.end - self.start < need {
            self.make_room(need);
            let n = match r.read(&mut self.buf[self.end..]) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                // Only the authentication timeout sets a read timeout.
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    return Err(Error::Cancelled(
                        "canceling authentication due to timeout".into(),
                    ));
                }
                Err(e) => return Err(e.into()),
            };
            if n == 0 {
                return if self.end == self.start {
                    Ok(false)
                } else {
                    Err(eof_in_message())
                };
            }
            self.end += n;
        }
        Ok(true)
    }

    /// Makes space after `end` for more input, moving unconsumed bytes to the
    /// front and doubling the buffer (never beyond what `need` requires plus
    /// one normal read) when they do not fit.
    fn make_room(&mut self, need: usize) {
        if self.end < self.buf.len() {
            return;
        }
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
            if self.end < self.buf.len() {
                return;
            }
        }
        let grown = (self.buf.len() * 2).min(need.max(self.buf.len()) + IN_CAPACITY);
        self.buf.resize(grown, 0);
    }
}

fn eof_in_message() -> Error {
    Error::Protocol("unexpected EOF within message".into())
}

/// Buffered output to a client. Messages are appended with [`OutBuf::begin`]
/// ... [`OutBuf::finish`], which back-patches the length word.
#[derive(Debug, Default)]
pub struct OutBuf {
    buf: Vec<u8>,
}

impl OutBuf {
    /// An empty buffer.
    pub fn new() -> OutBuf {
        OutBuf {
            buf: Vec::with_capacity(IN_CAPACITY),
        }
    }

    /// Starts a message with `tag`; returns the mark to pass to `finish`.
    pub fn begin(&mut self, tag: u8) -> usize {
        self.buf.push(tag);
        let mark = self.buf.len();
        self.buf.extend_from_slice(&[0; 4]);
        mark
    }

    /// Ends the message started at `mark`, writing its length.
    pub fn finish(&mut self, mark: usize) -> Result<()> {
        let len = self.buf.len() - mark;
        let Ok(len32) = i32::try_from(len) else {
            self.buf.truncate(mark - 1);
            return Err(Error::sql(
                crate::error::SqlState::PROGRAM_LIMIT_EXCEEDED,
                "out of memory",
            )
            .with_detail(format!("Cannot send a message of {len} bytes.")));
        };
        self.buf[mark..mark + 4].copy_from_slice(&len32.to_be_bytes());
        Ok(())
    }

    /// Appends one byte.
    pub fn put_u8(&mut self, v: u8) {
        self.buf.push(v);
    }

    /// Appends a big-endian i16.
    pub fn put_i16(&mut self, v: i16) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    /// Appends a big-endian i32.
    pub fn put_i32(&mut self, v: i32) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    /// Appends a big-endian u32 (OIDs).
    pub fn put_u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    /// Appends a NUL-terminated string. An embedded NUL would end the string
    /// early on the client's side, so it is dropped.
    pub fn put_cstr(&mut self, s: &str) {
        if s.as_bytes().contains(&0) {
            self.buf.extend(s.bytes().filter(|&b| b != 0));
        } else {
            self.buf.extend_from_slice(s.as_bytes());
        }
        self.buf.push(0);
    }

    /// Appends raw bytes.
    pub fn put_bytes(&mut self, b: &[u8]) {
        self.buf.extend_from_slice(b);
    }

    /// The underlying vector, for encoders that append directly.
    pub fn vec(&mut self) -> &mut Vec<u8> {
        &mut self.buf
    }

    /// Bytes buffered.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// True when nothing is buffered.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// The buffered bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    /// Drops everything buffered (after a write failure, or in tests).
    pub fn clear(&mut self) {
        self.buf.clear();
    }

    /// Writes everything buffered to `w` with one `write_all` and empties
    /// the buffer (its capacity is kept, bounded to avoid holding on to the
    /// memory of one huge result).
    pub fn flush_to<W: Write>(&mut self, w: &mut W) -> Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let res = w.write_all(&self.buf);
        self.buf.clear();
        if self.buf.capacity() > IN_SHRINK_ABOVE {
            self.buf.shrink_to(FLUSH_THRESHOLD * 2);
        }
        res.map_err(Error::from)
    }

    /// Flushes when the buffer has passed [`FLUSH_THRESHOLD`].
    pub fn flush_if_full<W: Write>(&mut self, w: &mut W) -> Result<()> {
        if self.buf.len() >= FLUSH_THRESHOLD {
            self.flush_to(w)
        } else {
            Ok(())
        }
    }
}

/// A client connection's stream with its two buffers.
#[derive(Debug)]
pub struct Io<S> {
    /// The socket (or any byte stream, in tests).
    pub stream: S,
    /// Input buffer.
    pub inb: InBuf,
    /// Output buffer.
    pub out: OutBuf,
}

impl<S: Read + Write> Io<S> {
    /// Wraps `stream` with fresh buffers.
    pub fn new(stream: S) -> Io<S> {
        Io {
            stream,
            inb: InBuf::new(),
            out: OutBuf::new(),
        }
    }

    /// Writes out everything buffered.
    pub fn flush(&mut self) -> Result<()> {
        self.out.flush_to(&mut self.stream)
    }

    /// Flushes when the output buffer passed [`FLUSH_THRESHOLD`].
    pub fn flush_if_full(&mut self) -> Result<()> {
        self.out.flush_if_full(&mut self.stream)
    }

    /// Reads the next tagged message. Pending output is flushed first when
    /// the read would block, so the client never waits for a response that
    /// sits in our buffer while we wait for it.
    pub fn read_message(&mut self) -> Result<Option<Frame>> {
        if !self.inb.has_message() {
            self.flush()?;
        }
        self.inb.read_message(&mut self.stream)
    }

    /// Reads the untagged startup packet (flushing first, e.g. after `N`).
    pub fn read_startup(&mut self) -> Result<Option<Frame>> {
        self.flush()?;
        self.inb.read_startup(&mut self.stream)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that returns its bytes in chunks of at most `chunk`.
    struct Chunked {
        data: Vec<u8>,
        pos: usize,
        chunk: usize,
    }

    impl Read for Chunked {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let n = self.chunk.min(out.len()).min(self.data.len() - self.pos);
            out[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
            self.pos += n;
            Ok(n)
        }
    }

    fn msg(tag: u8, body: &[u8]) -> Vec<u8> {
        let mut v = vec![tag];
        v.extend_from_slice(&(body.len() as i32 + 4).to_be_bytes());
        v.extend_from_slice(body);
        v
    }

    fn chunked(data: Vec<u8>, chunk: usize) -> Chunked {
        Chunked {
            data,
            pos: 0,
            chunk,
        }
    }

    #[test]
    fn reads_pipelined_messages_in_any_chunking() {
        let big = vec![7u8; 100_000];
        let mut data = msg(b'Q', b"SELECT 1\0");
        data.extend(msg(b'S', b""));
        data.extend(msg(b'd', &big));
        data.extend(msg(b'X', b""));
        for chunk in [1, 3, 5, 4096, 1 << 20] {
            let mut r = chunked(data.clone(), chunk);
            let mut inb = InBuf::new();
            let f = inb.read_message(&mut r).unwrap().unwrap();
            assert_eq!((f.tag, inb.body(&f)), (b'Q', &b"SELECT 1\0"[..]));
            let f = inb.read_message(&mut r).unwrap().unwrap();
            assert_eq!((f.tag, f.len()), (b'S', 0));
            let f = inb.read_message(&mut r).unwrap().unwrap();
            assert_eq!((f.tag, inb.body(&f)), (b'd', &big[..]));
            let f = inb.read_message(&mut r).unwrap().unwrap();
            assert_eq!(f.tag, b'X');
            assert_eq!(inb.read_message(&mut r).unwrap(), None, "clean EOF");
        }
    }

    #[test]
    fn has_message_sees_only_complete_frames() {
        let mut data = msg(b'S', b"");
        data.extend(msg(b'Q', b"x\0"));
        let mut r = chunked(data.clone(), data.len() - 1);
        let mut inb = InBuf::new();
        inb.read_message(&mut r).unwrap().unwrap();
        assert!(!inb.has_message(), "second message is one byte short");
        assert!(inb.has_bytes());
        let f = inb.read_message(&mut r).unwrap().unwrap();
        assert_eq!(f.tag, b'Q');
        assert!(!inb.has_bytes());
    }

    #[test]
    fn rejects_bad_lengths_and_truncation() {
        for len in [-1i32, 0, 3, (MAX_MESSAGE_LEN + 1) as i32, i32::MAX] {
            let mut data = vec![b'Q'];
            data.extend_from_slice(&len.to_be_bytes());
            let e = InBuf::new()
                .read_message(&mut chunked(data, 100))
                .unwrap_err();
            assert_eq!(e.sqlstate().code(), "08P01", "len {len}");
        }
        let mut data = msg(b'Q', b"SELECT 1\0");
        data.truncate(8);
        let e = InBuf::new()
            .read_message(&mut chunked(data, 100))
            .unwrap_err();
        assert_eq!(e.message(), "unexpected EOF within message");
    }

    #[test]
    fn rejects_an_unknown_type_before_its_body() {
        // A plausible length and no body: the reader would hit EOF inside
        // the message if the tag were trusted; the tag error comes first.
        for tag in [0u8, b'!', b'Z', b'T'] {
            let mut data = vec![tag];
            data.extend_from_slice(&5888i32.to_be_bytes());
            let e = InBuf::new()
                .read_message(&mut chunked(data, 100))
                .unwrap_err();
            assert_eq!(
                e.message(),
                format!("invalid frontend message type {tag}"),
                "tag {tag}"
            );
        }
    }

    #[test]
    fn announced_size_does_not_allocate_up_front() {
        let mut data = vec![b'd'];
        data.extend_from_slice(&((MAX_MESSAGE_LEN) as i32).to_be_bytes());
        data.extend_from_slice(&[1; 10]);
        let mut inb = InBuf::new();
        assert!(inb.read_message(&mut chunked(data, 100)).is_err());
        assert!(
            inb.buf.len() <= 2 * IN_CAPACITY,
            "grew to {}",
            inb.buf.len()
        );
    }

    #[test]
    fn lower_limit_applies() {
        let mut inb = InBuf::new();
        inb.set_max_message_len(MAX_AUTH_MESSAGE_LEN);
        let big = msg(b'p', &vec![b'x'; MAX_AUTH_MESSAGE_LEN]);
        assert!(inb.read_message(&mut chunked(big, 4096)).is_err());
        let mut inb = InBuf::new();
        inb.set_max_message_len(MAX_AUTH_MESSAGE_LEN);
        let ok = msg(b'p', &vec![b'x'; MAX_AUTH_MESSAGE_LEN - 4]);
        assert!(inb.read_message(&mut chunked(ok, 4096)).unwrap().is_some());
    }

    #[test]
    fn startup_packet_bounds() {
        let mut ok = 8i32.to_be_bytes().to_vec();
        ok.extend_from_slice(&80877103i32.to_be_bytes());
        let mut inb = InBuf::new();
        let f = inb
            .read_startup(&mut chunked(ok, 3))
            .unwrap()
            .expect("packet");
        assert_eq!(inb.body(&f), &80877103i32.to_be_bytes());
        for len in [7i32, 10_001, -5] {
            let mut data = len.to_be_bytes().to_vec();
            data.extend_from_slice(&[0; 16]);
            assert!(InBuf::new().read_startup(&mut chunked(data, 64)).is_err());
        }
        assert_eq!(
            InBuf::new().read_startup(&mut chunked(vec![], 1)).unwrap(),
            None
        );
    }

    #[test]
    fn out_buf_patches_lengths_and_flushes_once() {
        let mut out = OutBuf::new();
        let m = out.begin(b'C');
        out.put_cstr("SELECT 1");
        out.finish(m).unwrap();
        let m = out.begin(b'Z');
        out.put_u8(b'I');
        out.finish(m).unwrap();
        let mut sink = Vec::new();
        out.flush_to(&mut sink).unwrap();
        assert_eq!(sink, b"C\0\0\0\x0dSELECT 1\0Z\0\0\0\x05I");
        assert!(out.is_empty());
    }

    #[test]
    fn cstr_drops_embedded_nul() {
        let mut out = OutBuf::new();
        out.put_cstr("a\0b");
        assert_eq!(out.as_bytes(), b"ab\0");
    }
}
