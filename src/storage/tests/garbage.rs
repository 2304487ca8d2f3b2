//! Bad bytes never panic: every decoder of on-disk data, fed mutated valid
//! inputs and random garbage, returns a value or an error.

use std::sync::Arc;

use crate::storage::catalog_store::DdlOp;
use crate::storage::checkpoint::{CheckpointFile, CkptTable};
use crate::storage::event::{Event, INSERT, PATCH, SOFT_DELETE};
use crate::storage::metafile::{MetaFile, SchemaFile};
use crate::storage::wal::record::{self, TxnRecord, WalEvent};
use crate::storage::{segment, seqtime, wal};
use crate::types::Value;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Runs `f` on: every truncation, every single-byte change to a few
/// values, and many random mutations of `good`.
fn torture(good: &[u8], f: &dyn Fn(&[u8])) {
    // Thousands of cut tails would each log a warning.
    crate::logging::set_quiet(true);
    f(good);
    for cut in 0..good.len() {
        f(&good[..cut]);
    }
    for i in 0..good.len() {
        for x in [0x00, 0x01, 0x7f, 0x80, 0xc1, 0xff] {
            let mut b = good.to_vec();
            b[i] = x;
            f(&b);
        }
    }
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    for _ in 0..3000 {
        let mut b = good.to_vec();
        for _ in 0..1 + rng.next() % 4 {
            if b.is_empty() {
                break;
            }
            let i = (rng.next() as usize) % b.len();
            b[i] = rng.next() as u8;
        }
        f(&b);
        let len = (rng.next() % 64) as usize;
        let junk: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        f(&junk);
    }
    crate::logging::set_quiet(false);
}

#[test]
fn wal_records_and_files() {
    let rec = TxnRecord {
        seq: Some(3),
        stamp_seq: 3,
        micros: 77,
        ddl: vec![
            DdlOp::Create {
                id: 16_384,
                name: "t".into(),
                schema: Arc::new(vec![1]),
            },
            DdlOp::Drop { id: 16_385 },
            DdlOp::CreateIndex(crate::storage::IndexMeta {
                id: 16_386,
                table: 16_384,
                name: "t_idx".into(),
                columns: vec![1],
                unique: false,
            }),
            DdlOp::DropIndex { id: 16_387 },
        ],
        rowids: vec![(16_384, 2)],
        events: vec![WalEvent {
            table: 16_384,
            event_type: INSERT,
            payload: vec![0x92, 0xc4, 0, 0x90],
        }],
    };
    let mut frames = Vec::new();
    record::encode(&rec, 16, &mut frames).expect("encode");
    torture(&frames[8..], &|b| {
        let _ = record::decode(b);
    });
    let mut file = wal::header(1).to_vec();
    file.extend_from_slice(&frames);
    file.extend_from_slice(&frames);
    torture(&file, &|b| {
        let _ = wal::recovery::read_file(b, 1, "wal/x");
    });
}

#[test]
fn events_and_segment_bodies() {
    let evs = [
        Event::Insert {
            key: vec![1, 2],
            row: vec![Value::Int4(1), Value::Text("x".into()), Value::Null],
        },
        Event::Patch {
            key: vec![1],
            ncols: 3,
            changes: vec![(2, Value::Float8(1.5))],
        },
        Event::SoftDelete { key: vec![9; 3] },
    ];
    for ev in &evs {
        let p = ev.encode_payload().expect("encode");
        torture(&p, &|b| {
            for t in [INSERT, PATCH, SOFT_DELETE, 0, 9] {
                let _ = Event::decode(t, b);
            }
        });
        let mut body = Vec::new();
        segment::put_body(&mut body, 5, 1000, ev.event_type(), &p);
        torture(&body, &|b| {
            if let Ok(f) = segment::parse_body(b) {
                let _ = Event::decode(f.event_type, f.payload);
            }
        });
    }
}

#[test]
fn metadata_files() {
    let ck = CheckpointFile {
        seq: 4,
        wal_no: 2,
        next_table_id: 16_386,
        seqtime_count: 4,
        tables: vec![CkptTable {
            id: 16_384,
            name: "t".into(),
            segments: vec![64, 99],
            next_rowid: 1,
            last_seq: 4,
            indexes: vec![16_385],
        }],
    };
    torture(&ck.encode(), &|b| {
        let _ = CheckpointFile::decode(b, "CHECKPOINT");
    });
    torture(
        &MetaFile {
            id: 1,
            name: "t".into(),
        }
        .encode(),
        &|b| {
            let _ = MetaFile::decode(b, "meta");
        },
    );
    torture(
        &SchemaFile {
            stamp_seq: 1,
            stamp_micros: 2,
            blob: vec![3],
        }
        .encode(),
        &|b| {
            let _ = SchemaFile::decode(b, "schema");
        },
    );
    torture(
        &crate::storage::index::meta::encode_file(&crate::storage::IndexMeta {
            id: 16_385,
            table: 16_384,
            name: "t_idx".into(),
            columns: vec![0, 3],
            unique: true,
        }),
        &|b| {
            let _ = crate::storage::index::meta::decode_file(b, "indexes/16385.meta");
        },
    );
    let mut st = seqtime::MAGIC.to_vec();
    st.extend_from_slice(&[0u8; 40]);
    torture(&st, &|b| {
        for n in [0, 1, 2, u64::MAX] {
            let _ = seqtime::read_times(b, n, "seqtime");
        }
    });
}
