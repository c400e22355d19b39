//! Benchmark driver for `bench/campaigns/import.sh`: writes an N-row customer
//! CSV (every 50th name a quoted two-line field, every 1000th row with an
//! invalid phone), imports it into a fresh database with the per-row report,
//! and prints one JSON line: rows, bytes, bad rows, seconds, rows/s.
//!
//! ```text
//! import_bench --rows N --dir DIR
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fmt::Write as _;
use std::time::Instant;

use stratus_campaigns::import::{import_blocking, ImportFormat, ImportMode, ImportOptions};
use stratus_core::db::Db;

fn main() {
    let mut rows = 1_000_000_u64;
    let mut dir = std::env::temp_dir().join("stratus-import-bench");
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().expect("every flag takes a value");
        match flag.as_str() {
            "--rows" => rows = value.parse().expect("a number"),
            "--dir" => dir = value.into(),
            other => panic!("unknown flag {other}"),
        }
    }
    std::fs::create_dir_all(&dir).unwrap();
    let csv = customers_csv(rows);
    let path = dir.join(format!("import-{}.sqlite", std::process::id()));
    let db = Db::open(&path).unwrap();
    let options = ImportOptions {
        format: ImportFormat::Csv,
        mode: ImportMode::ValidRows,
        default_region: Some("US".into()),
    };
    let started = Instant::now();
    let report = db
        .call_blocking(|c| -> stratus_campaigns::Result<_> {
            Ok(import_blocking(c, csv.as_bytes(), &options))
        })
        .unwrap()
        .unwrap();
    let seconds = started.elapsed().as_secs_f64();
    // The report must be right, not only fast: row i + 1 of the data starts
    // on a line that counts the extra line of every two-line name before it.
    let expected_bad = rows.div_ceil(1000);
    assert_eq!(report.bad_rows.len() as u64, expected_bad);
    for bad in &report.bad_rows {
        let i = bad.customer_id.as_deref().unwrap()[5..]
            .parse::<u64>()
            .unwrap();
        assert_eq!(bad.line, line_of(i), "row {i}");
    }
    println!(
        "{{\"rows\":{rows},\"bytes\":{},\"inserted\":{},\"bad_rows\":{},\"seconds\":{seconds:.2},\"rows_per_s\":{:.0}}}",
        csv.len(),
        report.inserted,
        report.bad_rows.len(),
        rows as f64 / seconds
    );
    drop(db);
    let _ = std::fs::remove_file(&path);
}

/// Line of data row `i` (0-based): the header is line 1, and each earlier
/// row whose index is a multiple of 50 took two lines.
fn line_of(i: u64) -> u64 {
    2 + i + i.div_ceil(50)
}

fn customers_csv(rows: u64) -> String {
    let mut out = String::with_capacity(rows as usize * 90);
    out.push_str("id,name,email,phone,points,level,time_zone\n");
    for i in 0..rows {
        let name = if i % 50 == 0 {
            format!("\"Customer\n{i}\"")
        } else {
            format!("Customer {i}")
        };
        let phone = if i % 1000 == 0 {
            "12".to_string()
        } else {
            format!("+1202555{:04}", 100 + i % 100)
        };
        writeln!(
            out,
            "cust-{i:07},{name},c{i}@example.com,{phone},{},{},Europe/Paris",
            i % 5000,
            ["bronze", "silver", "gold"][(i % 3) as usize]
        )
        .unwrap();
    }
    out
}
