//! Misuse of the markers is a compile error with a message that says what to write instead.

#[test]
fn misused_markers_do_not_compile() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
}
