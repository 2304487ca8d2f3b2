//! Parser tests that span several grammar files.

use super::parse;

#[test]
fn smoke() {
    assert!(parse("").unwrap().is_empty());
    assert_eq!(parse("select 1").unwrap().len(), 1);
}

#[test]
fn scratch() {
    if let Ok(sql) = std::env::var("SQL") {
        match parse(&sql) {
            Ok(s) => println!("{s:#?}"),
            Err(e) => println!("ERR {:?}", e),
        }
    }
}
