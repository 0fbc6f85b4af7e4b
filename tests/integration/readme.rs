//! README.md's function reference is the one generated from the functions' own documentation
//! (`segql reference`), so it cannot drift from the code. `SEGQL_BLESS=1 cargo test --test
//! readme` rewrites it.

const BEGIN: &str = "<!-- BEGIN GENERATED REFERENCE -->\n";
const END: &str = "<!-- END GENERATED REFERENCE -->";

#[test]
fn the_readme_reference_is_generated_from_the_functions() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
    let readme = std::fs::read_to_string(path).unwrap();
    let start = readme
        .find(BEGIN)
        .expect("README has the reference markers")
        + BEGIN.len();
    let end = readme.find(END).expect("README has the end marker");
    let generated = segql::reference::markdown();
    if std::env::var_os("SEGQL_BLESS").is_some() {
        let updated = format!("{}{generated}{}", &readme[..start], &readme[end..]);
        std::fs::write(path, updated).unwrap();
        return;
    }
    assert!(
        readme[start..end] == generated,
        "README.md's reference is out of date: run SEGQL_BLESS=1 cargo test --test integration readme"
    );
    // and the README starts with the two commands
    assert!(readme.contains("cargo run --release -- demo"));
    assert!(readme.contains("cargo test "));
}
