//! `require` resolution against Node.js: each expected answer is what Node.js v20's
//! `require.resolve` gives for the same files on disk.

use std::collections::BTreeMap;

use super::*;

/// A bundle with packages of each shape Node.js resolves.
fn bundle() -> Bundle {
    let files = [
        ("index.js", ""),
        ("lib/util.js", ""),
        ("lib/data.json", "{}"),
        ("lib/dir/index.json", "{}"),
        ("pkgdir/package.json", "{\"main\": \"./main\"}"),
        ("pkgdir/main.js", ""),
        ("brokenmain/package.json", "{\"main\": \"missing.js\"}"),
        ("brokenmain/index.js", ""),
        (
            "node_modules/node-gameloop/package.json",
            "{\"name\": \"node-gameloop\", \"main\": \"index.js\"}",
        ),
        ("node_modules/node-gameloop/index.js", ""),
        ("node_modules/plain/index.js", ""),
        ("node_modules/single.js", ""),
        (
            "node_modules/@scope/pkg/package.json",
            "{\"main\": \"lib/main.js\"}",
        ),
        ("node_modules/@scope/pkg/lib/main.js", ""),
        ("node_modules/@scope/pkg/lib/extra.js", ""),
        (
            "node_modules/exp/package.json",
            "{\"exports\": {\".\": {\"import\": \"./esm/index.mjs\", \"require\": \"./cjs/index.js\"}, \"./feature\": \"./src/feature.js\", \"./utils/*\": \"./src/utils/*.js\", \"./utils/internal/*\": null, \"./package.json\": \"./package.json\"}}",
        ),
        ("node_modules/exp/cjs/index.js", ""),
        ("node_modules/exp/esm/index.mjs", ""),
        ("node_modules/exp/src/feature.js", ""),
        ("node_modules/exp/src/utils/a.js", ""),
        ("node_modules/exp/src/utils/internal/b.js", ""),
        ("node_modules/exp/src/hidden.js", ""),
        (
            "node_modules/expstr/package.json",
            "{\"exports\": \"./main.js\"}",
        ),
        ("node_modules/expstr/main.js", ""),
        ("node_modules/expstr/other.js", ""),
        (
            "node_modules/cond/package.json",
            "{\"exports\": {\"default\": \"./d.js\", \"require\": \"./r.js\"}}",
        ),
        ("node_modules/cond/d.js", ""),
        ("node_modules/cond/r.js", ""),
        (
            "node_modules/cond2/package.json",
            "{\"exports\": {\"node\": {\"import\": \"./n.mjs\", \"require\": \"./n.js\"}, \"default\": \"./d.js\"}}",
        ),
        ("node_modules/cond2/n.js", ""),
        ("node_modules/cond2/d.js", ""),
        (
            "node_modules/arr/package.json",
            "{\"exports\": {\".\": [\"no-dot.js\", \"./a.js\"]}}",
        ),
        ("node_modules/arr/a.js", ""),
        ("node_modules/arr/no-dot.js", ""),
        ("node_modules/outer/index.js", ""),
        ("node_modules/outer/node_modules/inner/index.js", ""),
        ("node_modules/inner/index.js", ""),
        ("lib/node_modules/local/index.js", ""),
        ("node_modules/mainjson/package.json", "{\"main\": \"data\"}"),
        ("node_modules/mainjson/data.json", "{}"),
        ("node_modules/maindir/package.json", "{\"main\": \"lib\"}"),
        ("node_modules/maindir/lib/index.js", ""),
    ];
    Bundle {
        script_id: "script-resolve".into(),
        revision: 1,
        version: None,
        entry: "index.js".into(),
        files: files
            .iter()
            .map(|&(path, text)| (path.to_owned(), text.to_owned()))
            .collect::<BTreeMap<_, _>>(),
    }
}

#[test]
fn requires_resolve_as_in_node() {
    let bundle = bundle();
    let cases: &[(&str, &str, Option<&str>)] = &[
        ("", "./lib/util", Some("lib/util.js")),
        ("", "./lib/data", Some("lib/data.json")),
        ("", "./lib/dir", Some("lib/dir/index.json")),
        ("", "./lib/dir/", Some("lib/dir/index.json")),
        ("", "./pkgdir", Some("pkgdir/main.js")),
        ("", "./brokenmain", Some("brokenmain/index.js")),
        ("lib", ".", None),
        ("lib", "..", Some("index.js")),
        ("", ".", Some("index.js")),
        ("lib/dir", "../util", Some("lib/util.js")),
        (
            "lib",
            "node-gameloop",
            Some("node_modules/node-gameloop/index.js"),
        ),
        ("", "plain", Some("node_modules/plain/index.js")),
        ("", "plain/index", Some("node_modules/plain/index.js")),
        ("", "single", Some("node_modules/single.js")),
        (
            "",
            "@scope/pkg",
            Some("node_modules/@scope/pkg/lib/main.js"),
        ),
        (
            "",
            "@scope/pkg/lib/extra",
            Some("node_modules/@scope/pkg/lib/extra.js"),
        ),
        ("", "@scope", None),
        ("", "exp", Some("node_modules/exp/cjs/index.js")),
        ("", "exp/feature", Some("node_modules/exp/src/feature.js")),
        ("", "exp/utils/a", Some("node_modules/exp/src/utils/a.js")),
        ("", "exp/utils/internal/b", None),
        ("", "exp/src/hidden.js", None),
        (
            "",
            "exp/package.json",
            Some("node_modules/exp/package.json"),
        ),
        ("", "expstr", Some("node_modules/expstr/main.js")),
        ("", "expstr/other", None),
        ("", "cond", Some("node_modules/cond/d.js")),
        ("", "cond2", Some("node_modules/cond2/n.js")),
        ("", "arr", Some("node_modules/arr/a.js")),
        (
            "node_modules/outer",
            "inner",
            Some("node_modules/outer/node_modules/inner/index.js"),
        ),
        ("", "inner", Some("node_modules/inner/index.js")),
        ("lib", "local", Some("lib/node_modules/local/index.js")),
        ("", "local", None),
        ("", "mainjson", Some("node_modules/mainjson/data.json")),
        ("", "maindir", Some("node_modules/maindir/lib/index.js")),
        ("", "exp/../plain", None),
        ("", "missing", None),
    ];
    for &(dir, name, expected) in cases {
        assert_eq!(
            resolve(&bundle, dir, name).as_deref(),
            expected,
            "require('{name}') from '{dir}'"
        );
    }
}

#[test]
fn a_path_from_the_root_starts_at_the_script_folder() {
    let bundle = bundle();
    assert_eq!(
        resolve(&bundle, "lib/dir", "/lib/util").as_deref(),
        Some("lib/util.js")
    );
    assert_eq!(resolve(&bundle, "lib", "/").as_deref(), Some("index.js"));
}

#[test]
fn only_the_realtime_servers_files_are_found_above_the_root() {
    let bundle = bundle();
    for (dir, name) in [
        ("", "../src/proto/Packet_pb"),
        ("", "../src/proto/Packet_pb.js"),
        ("lib", "../../src/proto/Packet_pb"),
        ("", "./../src/x/../proto/Packet_pb"),
    ] {
        assert_eq!(
            resolve(&bundle, dir, name).as_deref(),
            Some("../src/proto/Packet_pb.js"),
            "require('{name}') from '{dir}'"
        );
    }
    for (dir, name) in [
        ("", "../../src/proto/Packet_pb"),
        ("lib", "../src/proto/Packet_pb"),
        ("", "../src/proto/CoreCommands_pb"),
        ("", "../index.js"),
        ("", "../../etc/passwd"),
        ("", "src/proto/Packet_pb"),
    ] {
        assert_eq!(
            resolve(&bundle, dir, name),
            None,
            "require('{name}') from '{dir}'"
        );
    }
}

#[test]
fn exports_patterns_prefer_the_longest_prefix() {
    let mut bundle = bundle();
    bundle.files.insert(
        "node_modules/pat/package.json".into(),
        r#"{"exports": {"./*": "./all/*.js", "./deep/*": "./deep/*.js",
            "./x/*.js": "./typed/*.js", "./bad/*": "./../escape/*.js",
            "./num": {"0": "./n.js"}}}"#
            .into(),
    );
    for file in ["all/a.js", "deep/b.js", "typed/c.js", "n.js"] {
        bundle
            .files
            .insert(format!("node_modules/pat/{file}"), String::new());
    }
    bundle
        .files
        .insert("node_modules/escape/e.js".into(), String::new());
    let found = |name: &str| resolve(&bundle, "", name);
    assert_eq!(found("pat/a").as_deref(), Some("node_modules/pat/all/a.js"));
    assert_eq!(
        found("pat/deep/b").as_deref(),
        Some("node_modules/pat/deep/b.js")
    );
    assert_eq!(
        found("pat/x/c.js").as_deref(),
        Some("node_modules/pat/typed/c.js")
    );
    // Targets that leave the package and conditions that look like array indexes are
    // invalid; a package without "." in its exports has no main export.
    assert_eq!(found("pat/bad/e"), None);
    assert_eq!(found("pat/num"), None);
    assert_eq!(found("pat"), None);
}

#[test]
fn names_that_are_no_package_find_nothing() {
    let bundle = bundle();
    for name in [
        "",
        "@",
        "@/x",
        ".hidden",
        "pl%61in",
        "plain\\index",
        "#internal",
    ] {
        assert_eq!(resolve(&bundle, "", name), None, "require('{name}')");
    }
}
