//! Embeds the web bundle: lists every file of `web/dist` (built from `web/` by npm and
//! committed, so building the server needs no Node) into `$OUT_DIR/web_assets.rs` as
//! `include_bytes!` entries, which `src/http/assets.rs` serves. Debug and release
//! builds embed the same files.

use std::{
    fmt::Write as _,
    fs,
    path::{Path, PathBuf},
};

fn main() {
    let root = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let dist = root.join("web").join("dist");
    // A directory here makes Cargo rerun this script when any file under it changes.
    println!("cargo:rerun-if-changed=web/dist");
    println!("cargo:rerun-if-changed=build.rs");

    let mut files = Vec::new();
    if dist.is_dir() {
        collect(&dist, &dist, &mut files);
    } else {
        // Still compiles (the routes then answer 404), but say how to get the bundle.
        println!(
            "cargo:warning=web/dist is missing: the analytics page and GraphiQL will be absent (run `npm ci && npm run build` in web/)"
        );
    }
    files.sort();

    let mut out = String::from(
        "/// Every file of web/dist: its path relative to web/dist (with `/`) and its bytes, sorted by path.\n\
         pub static FILES: &[(&str, &[u8])] = &[\n",
    );
    for (relative, absolute) in &files {
        writeln!(
            out,
            "    ({relative:?}, include_bytes!({:?})),",
            absolute.display().to_string()
        )
        .expect("writing to a String");
    }
    out.push_str("];\n");
    let target = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR")).join("web_assets.rs");
    fs::write(&target, out).expect("writing web_assets.rs");
}

fn collect(dist: &Path, dir: &Path, files: &mut Vec<(String, PathBuf)>) {
    let entries =
        fs::read_dir(dir).unwrap_or_else(|err| panic!("reading {}: {err}", dir.display()));
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            collect(dist, &path, files);
        } else {
            let relative = path
                .strip_prefix(dist)
                .expect("under web/dist")
                .components()
                .map(|part| part.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            files.push((relative, path));
        }
    }
}
