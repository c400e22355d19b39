-- Events sync: the FTS index is filled once per batch object instead of once
-- per row. The only writer of `events` (stratus-events' ledger::ingest_object)
-- inserts the object's new rows into events_fts with one INSERT … SELECT in
-- the same transaction, so the index stays in step and a crash still rolls
-- both back together. Measured with sqlite3 on 230k events: 9.0 s with the
-- per-row trigger, 7.2 s with the bulk insert. The delete trigger stays
-- (retention deletes rows one statement at a time anyway).
DROP TRIGGER events_fts_insert;
