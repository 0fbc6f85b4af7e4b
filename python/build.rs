//! Nothing to build: the script exists so that the `[build-dependencies]` of Cargo.toml, which
//! align the host crates with `cargo test`'s, are part of the build.
fn main() {}
