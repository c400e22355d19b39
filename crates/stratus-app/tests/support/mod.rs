//! Helpers the assembly's tests share.

use stratus_core::stack::Stack;

/// Rows in `table` of the stack's database (a table name of the test's own).
pub async fn count_rows(stack: &Stack, table: &'static str) -> i64 {
    stack
        .db
        .call(move |c| -> stratus_core::Result<_> {
            Ok(c.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?)
        })
        .await
        .unwrap_or_else(|e| panic!("cannot count {table}: {e}"))
}
