//! Output files with a delay ring.
//!
//! Entities are generated one after another, so without help all rows of one customer (and all members
//! of a hard-negative group) would sit next to each other in every file, which no real export does and
//! which a matcher could exploit by accident. Each row is therefore put into one of [`RING`] window buffers
//! chosen at random; a buffer is shuffled and written when its window closes. Memory stays bounded by
//! `RING` windows of rows, and rows of one entity end up up to `RING` windows apart.

use std::fs::File;
use std::io::{self, BufWriter};
use std::path::Path;

use super::entity::push_num;
use super::rng::Rng;

pub const RING: usize = 16;

/// Rows of one window, stored as one text buffer plus cell end offsets, so that a window reuses its
/// allocations instead of allocating per cell.
#[derive(Default)]
pub struct RowBuf {
    pub text: String,
    ends: Vec<u32>,
    rows: Vec<RowMeta>,
}

#[derive(Clone, Copy)]
struct RowMeta {
    first_cell: u32,
    entity: u64,
    key: u64,
}

/// Marks entity numbers of junk rows (each its own entity, written with a `J` prefix).
pub const JUNK: u64 = 1 << 63;

impl RowBuf {
    /// Start a row of `entity`; `key` is the source key when it is known at generation time.
    pub fn begin(&mut self, entity: u64, key: u64) {
        self.rows.push(RowMeta { first_cell: self.ends.len() as u32, entity, key });
    }

    pub fn end_cell(&mut self) {
        self.ends.push(self.text.len() as u32);
    }

    pub fn cell(&mut self, s: &str) {
        self.text.push_str(s);
        self.end_cell();
    }

    pub fn empty(&mut self, n: usize) {
        for _ in 0..n {
            self.end_cell();
        }
    }

    /// Cells of the row being built so far (for sanity checks).
    pub fn cells_in_last_row(&self) -> usize {
        self.rows.last().map_or(0, |r| self.ends.len() - r.first_cell as usize)
    }

    fn clear(&mut self) {
        self.text.clear();
        self.ends.clear();
        self.rows.clear();
    }
}

/// How a file identifies its rows to truth.csv.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// 客户编号 assigned in file order at write time (`XS-0000001`), written as the first column.
    Sales,
    /// 工单号 `GD` + year + sequence, assigned in file order at write time (so that one customer's
    /// tickets do not get consecutive numbers); `key` carries the year. Written as the first column.
    Service,
    /// No key column: the 1-based data row number.
    RowNumber,
}

pub struct Sink {
    pub file: &'static str,
    source: &'static str,
    kind: KeyKind,
    slots: Vec<RowBuf>,
    csv: csv::Writer<BufWriter<File>>,
    pub rows: u64,
    order: Vec<u32>,
    key: String,
}

pub fn csv_writer(path: &Path) -> io::Result<csv::Writer<BufWriter<File>>> {
    let f = BufWriter::with_capacity(1 << 20, crate::files::create_in_place(path, crate::files::FileMode::PRIVATE)?);
    Ok(csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(f))
}

/// `E0000042` for customers, `J0000001` for junk rows, so evaluations can tell junk apart at a glance.
pub fn entity_id(out: &mut String, entity: u64) {
    out.clear();
    if entity & JUNK != 0 {
        out.push('J');
        push_num(out, entity & !JUNK, 7);
    } else {
        out.push('E');
        push_num(out, entity, 7);
    }
}

fn service_key(out: &mut String, year: u64, seq: u64) {
    out.push_str("GD");
    push_num(out, year, 4);
    push_num(out, seq, 7);
}

impl Sink {
    pub fn new(
        dir: &Path,
        file: &'static str,
        source: &'static str,
        kind: KeyKind,
        header: &[&str],
    ) -> io::Result<Sink> {
        let mut csv = csv_writer(&dir.join(file))?;
        csv.write_record(header)?;
        Ok(Sink {
            file,
            source,
            kind,
            slots: (0..RING).map(|_| RowBuf::default()).collect(),
            csv,
            rows: 0,
            order: Vec::new(),
            key: String::new(),
        })
    }

    pub fn slot(&mut self, window: u64, delay: u64) -> &mut RowBuf {
        &mut self.slots[((window + delay) % RING as u64) as usize]
    }

    /// Shuffle and write the buffer of `window`, with one truth row per data row.
    pub fn flush(&mut self, window: u64, rng: &mut Rng, truth: &mut Truth) -> io::Result<()> {
        let idx = (window % RING as u64) as usize;
        let buf = &mut self.slots[idx];
        self.order.clear();
        self.order.extend(0..buf.rows.len() as u32);
        rng.shuffle(&mut self.order);
        let text = buf.text.as_bytes();
        for &ri in &self.order {
            let meta = buf.rows[ri as usize];
            let end_cell = buf.rows.get(ri as usize + 1).map_or(buf.ends.len(), |r| r.first_cell as usize);
            let first = meta.first_cell as usize;
            let cells = (first..end_cell).map(|c| {
                let start = if c == 0 { 0 } else { buf.ends[c - 1] as usize };
                &text[start..buf.ends[c] as usize]
            });
            self.rows += 1;
            self.key.clear();
            match self.kind {
                KeyKind::Sales => {
                    self.key.push_str("XS-");
                    push_num(&mut self.key, self.rows, 7);
                    self.csv.write_record(std::iter::once(self.key.as_bytes()).chain(cells))?;
                }
                KeyKind::Service => {
                    service_key(&mut self.key, meta.key, self.rows);
                    self.csv.write_record(std::iter::once(self.key.as_bytes()).chain(cells))?;
                }
                KeyKind::RowNumber => {
                    push_num(&mut self.key, self.rows, 1);
                    self.csv.write_record(cells)?;
                }
            }
            truth.write(self.source, &self.key, meta.entity)?;
        }
        buf.clear();
        Ok(())
    }

    pub fn finish(mut self) -> io::Result<u64> {
        self.csv.flush()?;
        Ok(self.rows)
    }
}

pub struct Truth {
    csv: csv::Writer<BufWriter<File>>,
    pub rows: u64,
    id: String,
}

impl Truth {
    pub fn new(dir: &Path) -> io::Result<Truth> {
        let mut csv = csv_writer(&dir.join("truth.csv"))?;
        csv.write_record(["source", "source_key", "entity_id"])?;
        Ok(Truth { csv, rows: 0, id: String::new() })
    }

    fn write(&mut self, source: &str, key: &str, entity: u64) -> io::Result<()> {
        entity_id(&mut self.id, entity);
        self.csv.write_record([source, key, &self.id])?;
        self.rows += 1;
        Ok(())
    }

    pub fn finish(mut self) -> io::Result<u64> {
        self.csv.flush()?;
        Ok(self.rows)
    }
}
