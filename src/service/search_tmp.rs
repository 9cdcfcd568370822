//! TEMPORARY until the access branch lands its `search_corpus_page`.
use super::Workbench;
use crate::error::Result;

impl Workbench {
    pub fn search_corpus_page(&self, after_id: i64, limit: usize) -> Result<Vec<(i64, String)>> {
        let mut s = self.store().conn().prepare_cached(
            "SELECT id, number || ' ' || name FROM customers WHERE id > ?1 AND merged_into IS NULL ORDER BY id LIMIT ?2",
        )?;
        let rows =
            s.query_map(rusqlite::params![after_id, limit as i64], |r| Ok((r.get(0)?, r.get::<_, String>(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?.into_iter().map(|(i, t)| (i, t.to_lowercase())).collect())
    }
}
