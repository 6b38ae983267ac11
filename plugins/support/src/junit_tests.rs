use super::*;

const PYTEST: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" errors="1" failures="1" skipped="1" tests="5">
  <testcase classname="tests.test_api" name="test_ok" time="0.1"/>
  <testcase classname="tests.test_api" name="test_also_ok"/>
  <testcase classname="tests.test_api" name="test_broken"><failure message="assert 1 == 2">boom</failure></testcase>
  <testcase classname="" name="test_setup"><error message="fixture">err</error></testcase>
  <testcase classname="tests.test_api" name="test_later"><skipped message="todo"/></testcase>
</testsuite></testsuites>"#;

#[test]
fn cases_are_counted_with_errors_as_failures() {
    let report = parse(PYTEST).expect("the fixture parses");
    assert_eq!(report.counts, TestCounts::new(2, 2, 1));
    assert_eq!(
        report.failed,
        vec!["tests.test_api.test_broken", "test_setup"]
    );
    assert_eq!(report.files, 1);
}

#[test]
fn a_lone_testsuite_and_nested_suites_are_counted() {
    let xml = r#"<testsuite name="outer" tests="2">
        <testcase name="a"/>
        <testsuite name="inner" tests="1"><testcase name="b"><failure/></testcase></testsuite>
    </testsuite>"#;
    let report = parse(xml).expect("the fixture parses");
    assert_eq!(report.counts, TestCounts::new(1, 1, 0));
    assert_eq!(report.failed, vec!["b"]);
}

#[test]
fn a_suite_without_cases_counts_by_its_attributes() {
    let xml = r#"<testsuites><testsuite name="s" tests="10" failures="2" errors="1" skipped="3"/></testsuites>"#;
    let report = parse(xml).expect("the fixture parses");
    assert_eq!(report.counts, TestCounts::new(4, 3, 3));
}

#[test]
fn broken_xml_is_an_error_with_a_cause() {
    let Err(e) = parse("<testsuite><testcase name=\"a\"></testsuite>") else {
        panic!("broken XML must not parse");
    };
    assert!(e.contains("XML"), "{e}");
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("seamless-junit-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("creating the fixture directory");
    dir
}

#[test]
fn a_directory_sums_every_xml_file_and_ignores_others() {
    let dir = temp_dir("dir");
    fs::write(dir.join("a.xml"), PYTEST).expect("writing a fixture");
    fs::write(
        dir.join("b.xml"),
        r#"<testsuite tests="1"><testcase name="x"/></testsuite>"#,
    )
    .expect("writing a fixture");
    fs::write(dir.join("notes.txt"), "not xml").expect("writing a fixture");
    let report = read(&dir).expect("the reports read");
    assert_eq!(report.counts, TestCounts::new(3, 2, 1));
    assert_eq!(report.files, 2);
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn missing_file_or_empty_directory_is_missing() {
    let dir = temp_dir("empty");
    assert_eq!(read(&dir), Err(ReportError::Missing(dir.clone())));
    let file = dir.join("nope.xml");
    assert_eq!(read(&file), Err(ReportError::Missing(file.clone())));
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn an_unparsable_file_is_unreadable_and_named() {
    let dir = temp_dir("bad");
    let file = dir.join("bad.xml");
    fs::write(&file, "<testsuite><testcase></testsuite>").expect("writing a fixture");
    match read(&file) {
        Err(ReportError::Unreadable(path, _)) => assert_eq!(path, file),
        other => panic!("expected unreadable, got {other:?}"),
    }
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn clear_removes_stale_reports_only() {
    let dir = temp_dir("clear");
    fs::write(dir.join("old.xml"), PYTEST).expect("writing a fixture");
    fs::write(dir.join("keep.txt"), "x").expect("writing a fixture");
    assert!(clear(&dir).is_ok());
    assert!(!dir.join("old.xml").exists());
    assert!(dir.join("keep.txt").exists());
    assert!(clear(&dir.join("absent.xml")).is_ok());
    let _ = fs::remove_dir_all(&dir);
}
