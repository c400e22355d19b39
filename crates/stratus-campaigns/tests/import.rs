#![allow(clippy::unwrap_used)]
//! Customer import: messy real-world files in both modes.

use bytes::Bytes;
use stratus_campaigns::customer;
use stratus_campaigns::import::{import_customers, ImportFormat, ImportMode, ImportOptions};
use stratus_campaigns::Error;
use stratus_core::db::Db;

fn options(format: ImportFormat, mode: ImportMode) -> ImportOptions {
    ImportOptions {
        format,
        mode,
        default_region: Some("US".into()),
    }
}

/// BOM, CRLF, quoted commas and a quoted newline, non-ASCII names, odd
/// header spellings, a duplicate id, an invalid phone, a bad time zone.
const MESSY: &str = "\u{feff}Customer ID,Full Name,E-Mail,TimeZone,Mobile,SMS Opt-In,Points,Level,Badges,Favourite colour\r\n\
c-1,\"Müller, Jürgen\",j@example.com,Europe/Berlin,+49 151 12345678,yes,1200,Gold,early-bird;streak-7,blue\r\n\
c-2,Zoë Ålund,,America/New_York,(202) 555-0143,1,80,,,green\r\n\
c-3,\"Ann \"\"Nan\"\" Lee\",ann@example.com,Mars/Olympus,+1 202 555 0144,no,5,silver,,red\r\n\
c-1,Duplicate Person,dup@example.com,UTC,+1 202 555 0145,yes,1,bronze,,\r\n\
c-4,\"Multi\r\nLine\",,UTC,12,yes,7,bronze,,\r\n\
c-5,Łukasz Nowak,l@example.com,Europe/Warsaw,+48 512 345 678,true,3000,gold,\"[\"\"explorer\"\"]\",\r\n";

#[tokio::test]
async fn valid_rows_mode_imports_good_rows_and_reports_every_bad_one_with_its_line() {
    let db = Db::open_in_memory().unwrap();
    let report = import_customers(
        &db,
        Bytes::from(MESSY),
        options(ImportFormat::Csv, ImportMode::ValidRows),
    )
    .await
    .unwrap();
    assert_eq!(report.inserted, 3, "{report:?}");
    assert_eq!(report.updated, 0);
    assert_eq!(report.ignored_columns, vec!["Favourite colour".to_string()]);
    let bad: Vec<(u64, Option<&str>, &str)> = report
        .bad_rows
        .iter()
        .map(|b| (b.line, b.customer_id.as_deref(), b.reason.as_str()))
        .collect();
    assert_eq!(bad.len(), 3, "{bad:?}");
    assert_eq!(bad[0].0, 4);
    assert_eq!(bad[0].1, Some("c-3"));
    assert!(bad[0].2.contains("Mars/Olympus"), "{}", bad[0].2);
    assert_eq!((bad[1].0, bad[1].1), (5, Some("c-1")));
    assert!(bad[1].2.contains("first on line 2"), "{}", bad[1].2);
    // The quoted newline makes c-4's record start on line 6 and c-5's on 8.
    assert_eq!((bad[2].0, bad[2].1), (6, Some("c-4")));
    assert!(bad[2].2.contains("phone"), "{}", bad[2].2);

    let (j, z, l) = db
        .call_blocking(|c| -> stratus_campaigns::Result<_> {
            let get = |id| customer::get(c, id);
            Ok((get("c-1")?, get("c-2")?, get("c-5")?))
        })
        .unwrap();
    assert_eq!(j.name, "Müller, Jürgen");
    assert_eq!(j.phone.as_deref(), Some("+4915112345678"));
    assert_eq!(j.time_zone, "Europe/Berlin");
    assert!(j.sms_opt_in);
    assert_eq!((j.points, j.level.as_str()), (1200, "gold"));
    assert_eq!(
        j.badges,
        vec!["early-bird".to_string(), "streak-7".to_string()]
    );
    assert_eq!(z.name, "Zoë Ålund");
    assert_eq!(
        z.phone.as_deref(),
        Some("+12025550143"),
        "default region US applies"
    );
    assert_eq!(z.email, None);
    assert_eq!(z.level, "bronze");
    assert_eq!(l.badges, vec!["explorer".to_string()]);
}

#[tokio::test]
async fn all_or_nothing_mode_imports_nothing_when_a_row_is_bad() {
    let db = Db::open_in_memory().unwrap();
    let err = import_customers(
        &db,
        Bytes::from(MESSY),
        options(ImportFormat::Csv, ImportMode::AllOrNothing),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), "import_rejected");
    let Error::ImportRejected(rows) = err else {
        panic!("wrong error")
    };
    assert_eq!(
        rows.iter().map(|r| r.line).collect::<Vec<_>>(),
        vec![4, 5, 6]
    );
    let n: i64 = db
        .call_blocking(|c| -> stratus_campaigns::Result<_> {
            Ok(c.query_row("SELECT count(*) FROM customers", [], |r| r.get(0))?)
        })
        .unwrap();
    assert_eq!(n, 0);

    let clean = "id,name,phone\nc-1,Ann,+12025550143\nc-2,Bob,+12025550144\n";
    let report = import_customers(
        &db,
        Bytes::from(clean),
        options(ImportFormat::Csv, ImportMode::AllOrNothing),
    )
    .await
    .unwrap();
    assert_eq!((report.inserted, report.bad_rows.len()), (2, 0));
}

#[tokio::test]
async fn reimport_upserts_by_id_and_keeps_columns_the_file_lacks() {
    let db = Db::open_in_memory().unwrap();
    let first = "id,name,phone,points,sms_opt_in\nc-1,Ann,+12025550143,10,yes\n";
    import_customers(
        &db,
        Bytes::from(first),
        options(ImportFormat::Csv, ImportMode::AllOrNothing),
    )
    .await
    .unwrap();
    let second = "ID,Name,Points\nc-1,Ann B.,99\nc-2,Cy,5\n";
    let report = import_customers(
        &db,
        Bytes::from(second),
        options(ImportFormat::Csv, ImportMode::AllOrNothing),
    )
    .await
    .unwrap();
    assert_eq!((report.inserted, report.updated), (1, 1));
    let ann = db
        .call_blocking(|c| -> stratus_campaigns::Result<_> { Ok(customer::get(c, "c-1").unwrap()) })
        .unwrap();
    assert_eq!((ann.name.as_str(), ann.points), ("Ann B.", 99));
    assert_eq!(
        ann.phone.as_deref(),
        Some("+12025550143"),
        "phone was not in the file: kept"
    );
    assert!(ann.sms_opt_in, "opt-in was not in the file: kept");
}

#[tokio::test]
async fn ndjson_lines_are_validated_one_by_one() {
    let db = Db::open_in_memory().unwrap();
    let text = "\u{feff}{\"id\":\"n-1\",\"name\":\"Ana\",\"phone\":\"+5511912345678\",\"badges\":[\"explorer\"],\"points\":12,\"sms_opt_in\":true,\"last_active\":\"2024-05-31\"}\r\n\
\r\n\
{\"id\":\"n-2\",\"name\":\"Bo\",\"time_zone\":\"Nowhere/Land\"}\r\n\
not json\r\n\
{\"customer_id\":\"n-3\",\"full_name\":\"Cé\",\"tz\":\"Asia/Tokyo\",\"extra\":1}\n";
    let report = import_customers(
        &db,
        Bytes::from(text),
        options(ImportFormat::Ndjson, ImportMode::ValidRows),
    )
    .await
    .unwrap();
    assert_eq!(report.inserted, 2, "{report:?}");
    assert_eq!(
        report.bad_rows.iter().map(|b| b.line).collect::<Vec<_>>(),
        vec![3, 4]
    );
    assert_eq!(report.ignored_columns, vec!["extra".to_string()]);
    let ana = db
        .call_blocking(|c| -> stratus_campaigns::Result<_> { Ok(customer::get(c, "n-1").unwrap()) })
        .unwrap();
    assert_eq!(ana.badges, vec!["explorer".to_string()]);
    assert_eq!(ana.last_active, Some(1_717_113_600_000));
    assert!(ana.sms_opt_in);
}

#[tokio::test]
async fn a_file_without_an_id_column_or_in_another_encoding_is_refused_whole() {
    let db = Db::open_in_memory().unwrap();
    let err = import_customers(
        &db,
        Bytes::from("name,phone\nAnn,+12025550143\n"),
        options(ImportFormat::Csv, ImportMode::ValidRows),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), "import_file");
    assert!(err.to_string().contains("`id`"), "{err}");
    let latin1: &[u8] = b"id,name\nc-1,M\xfcller\n";
    let err = import_customers(
        &db,
        Bytes::from(latin1),
        options(ImportFormat::Csv, ImportMode::ValidRows),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("line 2"), "{err}");
    assert_eq!(
        ImportFormat::from_file_name("s3://b/customers.JSONL"),
        Some(ImportFormat::Ndjson)
    );
}

/// Line numbers stay right deep into a file with many quoted multi-line
/// fields and CRLF breaks (they are counted in one pass, resumed record
/// after record).
#[tokio::test]
async fn bad_row_lines_stay_right_across_thousands_of_multi_line_records() {
    let mut csv = String::from("id,name,phone\r\n");
    let mut line = 2;
    let mut expected = Vec::new();
    for i in 0..3000 {
        let name = if i % 7 == 0 {
            format!("\"Name\r\nover\nthree {i}\"")
        } else {
            format!("Name {i}")
        };
        let phone = if i % 100 == 0 { "12" } else { "+12025550143" };
        if i % 100 == 0 {
            expected.push((line, format!("c-{i}")));
        }
        csv.push_str(&format!("c-{i},{name},{phone}\r\n"));
        line += if i % 7 == 0 { 3 } else { 1 };
    }
    let db = Db::open_in_memory().unwrap();
    let report = import_customers(
        &db,
        Bytes::from(csv),
        options(ImportFormat::Csv, ImportMode::ValidRows),
    )
    .await
    .unwrap();
    let got: Vec<(u64, String)> = report
        .bad_rows
        .iter()
        .map(|b| (b.line, b.customer_id.clone().unwrap()))
        .collect();
    assert_eq!(got, expected);
    assert_eq!(report.inserted, 2970);
}
