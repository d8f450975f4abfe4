//! Tests of the script store: each works in a temporary directory of its own.

use std::io::Write;

use zip::write::SimpleFileOptions;

use super::*;

/// A fresh directory under the system's temporary directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        let path = std::env::temp_dir().join(format!("volley-store-{}", uuid::Uuid::new_v4()));
        fs::create_dir_all(&path).expect("temporary directory");
        Self(path)
    }

    /// Where the store keeps scripts; not created.
    fn scripts(&self) -> PathBuf {
        self.0.join("scripts")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// A zip of `(name, content)` entries, names as given (no checks).
fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, content) in files {
        writer.start_file(*name, options).expect("entry");
        writer.write_all(content).expect("content");
    }
    writer.finish().expect("zip").into_inner()
}

const HELLO: &[u8] = b"'use strict';\nconst util = require('./lib/util');\n\
    exports.ssExports = { init: function (session) { util.hello(); } };\n";
const UTIL: &[u8] = b"exports.hello = function () { return 'hi'; };\n";

fn hello_zip() -> Vec<u8> {
    zip_of(&[("index.js", HELLO), ("lib/util.js", UTIL)])
}

fn named(name: &str, version: &str) -> NewScript {
    NewScript {
        name: Some(name.into()),
        version: Some(version.into()),
        node_js_version: None,
    }
}

fn invalid_message(result: Result<ScriptRecord, StoreError>) -> String {
    match result {
        Err(StoreError::Invalid(message)) => message,
        other => panic!("expected an invalid-input error, got {other:?}"),
    }
}

fn create_error(files: &[(&str, &[u8])]) -> String {
    let dir = TempDir::new();
    let store = ScriptStore::open(dir.scripts()).expect("open");
    let message = invalid_message(store.create(NewScript::default(), &zip_of(files)));
    assert!(store.list().is_empty());
    assert!(!dir.scripts().exists(), "a refused script wrote nothing");
    message
}

#[test]
fn open_does_not_create_the_directory() {
    let dir = TempDir::new();
    let store = ScriptStore::open(dir.scripts()).expect("open");
    assert!(store.list().is_empty());
    assert!(!dir.scripts().exists());
}

#[test]
fn scripts_round_trip_through_the_disk() {
    let dir = TempDir::new();
    let store = ScriptStore::open(dir.scripts()).expect("open");
    let zip = hello_zip();
    let first = store.create(named("duel", "1.0"), &zip).expect("created");
    assert!(first.id.starts_with("script-"), "{}", first.id);
    assert_eq!(first.id.len(), "script-".len() + 36);
    assert_eq!(first.name.as_deref(), Some("duel"));
    assert_eq!(first.version.as_deref(), Some("1.0"));
    assert_eq!(first.size_on_disk, zip.len() as u64);
    assert_eq!(first.node_js_version, "10.x");
    assert_eq!(first.revision, 1);
    assert_eq!(first.source, None);
    let second = store
        .create(
            NewScript {
                node_js_version: Some("24.x".into()),
                ..NewScript::default()
            },
            &zip,
        )
        .expect("created");
    assert_eq!(second.node_js_version, "24.x");
    assert_eq!(second.name, None);

    assert_eq!(store.get(&first.id), Some(first.clone()));
    assert_eq!(store.list(), vec![first.clone(), second.clone()]);
    let bundle = store.bundle(&first.id).expect("bundle");
    assert_eq!(bundle.script_id, first.id);
    assert_eq!(
        (bundle.revision, bundle.version.as_deref()),
        (1, Some("1.0"))
    );
    assert_eq!(bundle.entry, "index.js");
    let paths: Vec<&str> = bundle.files.keys().map(String::as_str).collect();
    assert_eq!(paths, ["index.js", "lib/util.js"]);
    assert_eq!(bundle.files["lib/util.js"].as_bytes(), UTIL);

    // A restart: a new store over the same directory sees the same scripts.
    let reopened = ScriptStore::open(dir.scripts()).expect("reopen");
    assert_eq!(reopened.list(), vec![first.clone(), second]);
    assert_eq!(reopened.bundle(&first.id), Some(bundle));
}

#[test]
fn list_orders_by_creation_time_then_id() {
    let dir = TempDir::new();
    let store = ScriptStore::open(dir.scripts()).expect("open");
    let created: Vec<ScriptRecord> = (0..5)
        .map(|i| {
            store
                .create(named(&format!("s{i}"), "1"), &hello_zip())
                .expect("created")
        })
        .collect();
    let mut expected = created.clone();
    expected.sort_by(|a, b| (a.creation_time, &a.id).cmp(&(b.creation_time, &b.id)));
    assert_eq!(store.list(), expected);
}

#[test]
fn updates_bump_the_revision_only_for_new_content() {
    let dir = TempDir::new();
    let store = ScriptStore::open(dir.scripts()).expect("open");
    let created = store
        .create(named("duel", "1.0"), &hello_zip())
        .expect("created");
    let old = store.bundle(&created.id).expect("bundle");

    let renamed = store
        .update(
            &created.id,
            ScriptUpdate {
                name: Some("duel2".into()),
                ..ScriptUpdate::default()
            },
        )
        .expect("renamed");
    assert_eq!(renamed.name.as_deref(), Some("duel2"));
    assert_eq!(
        (renamed.revision, renamed.version.as_deref()),
        (1, Some("1.0"))
    );
    assert!(Arc::ptr_eq(
        &old,
        &store.bundle(&created.id).expect("bundle")
    ));

    let new_zip = zip_of(&[("index.js", b"exports.ssExports = { init() {} };\n")]);
    let updated = store
        .update(
            &created.id,
            ScriptUpdate {
                version: Some("2.0".into()),
                zip: Some(new_zip.clone()),
                ..ScriptUpdate::default()
            },
        )
        .expect("updated");
    assert_eq!(updated.revision, 2);
    assert_eq!(updated.size_on_disk, new_zip.len() as u64);
    assert_eq!(updated.creation_time, created.creation_time);
    assert_eq!(updated.name.as_deref(), Some("duel2"));
    let bundle = store.bundle(&created.id).expect("bundle");
    assert_eq!(
        (bundle.revision, bundle.version.as_deref()),
        (2, Some("2.0"))
    );
    assert_eq!(bundle.files.len(), 1);
    // A game session holding the old content keeps it.
    assert_eq!((old.revision, old.files.len()), (1, 2));

    // A new version string alone leaves the content's version as it was stored.
    store
        .update(
            &created.id,
            ScriptUpdate {
                version: Some("3.0".into()),
                ..ScriptUpdate::default()
            },
        )
        .expect("updated");
    let reopened = ScriptStore::open(dir.scripts()).expect("reopen");
    let record = reopened.get(&created.id).expect("kept");
    assert_eq!(
        (record.revision, record.version.as_deref()),
        (2, Some("3.0"))
    );
    let bundle = reopened.bundle(&created.id).expect("bundle");
    assert_eq!(
        (bundle.revision, bundle.version.as_deref()),
        (2, Some("2.0"))
    );
    // Only the current zip stays on disk.
    let mut files: Vec<String> = fs::read_dir(dir.scripts().join(&created.id))
        .expect("script directory")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files, ["2.zip", "meta.json"]);
}

#[test]
fn a_refused_update_changes_nothing() {
    let dir = TempDir::new();
    let store = ScriptStore::open(dir.scripts()).expect("open");
    let created = store
        .create(named("duel", "1.0"), &hello_zip())
        .expect("created");
    let update = ScriptUpdate {
        name: Some("other".into()),
        zip: Some(zip_of(&[("index.js", b"function (")])),
        ..ScriptUpdate::default()
    };
    let message = invalid_message(store.update(&created.id, update));
    assert!(message.contains("index.js does not compile"), "{message}");
    assert_eq!(store.get(&created.id), Some(created));
    let missing = store.update("script-nope", ScriptUpdate::default());
    assert!(matches!(missing, Err(StoreError::NotFound(id)) if id == "script-nope"));
}

#[test]
fn delete_removes_the_script_and_its_files() {
    let dir = TempDir::new();
    let store = ScriptStore::open(dir.scripts()).expect("open");
    let kept = store
        .create(named("a", "1"), &hello_zip())
        .expect("created");
    let gone = store
        .create(named("b", "1"), &hello_zip())
        .expect("created");
    let held = store.bundle(&gone.id).expect("bundle");
    assert_eq!(store.delete(&gone.id).expect("deleted"), gone);
    assert_eq!(store.get(&gone.id), None);
    assert_eq!(store.bundle(&gone.id), None);
    assert_eq!(held.script_id, gone.id);
    assert!(matches!(
        store.delete(&gone.id),
        Err(StoreError::NotFound(_))
    ));
    assert!(!dir.scripts().join(&gone.id).exists());
    let names: Vec<_> = fs::read_dir(dir.scripts())
        .expect("listing")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(names, [std::ffi::OsString::from(&kept.id)]);
    let reopened = ScriptStore::open(dir.scripts()).expect("reopen");
    assert_eq!(reopened.list(), vec![kept]);
}

#[test]
fn corrupt_scripts_and_leftovers_are_skipped_at_open() {
    let dir = TempDir::new();
    let store = ScriptStore::open(dir.scripts()).expect("open");
    let good = store
        .create(named("good", "1"), &hello_zip())
        .expect("created");
    let damaged = store
        .create(named("zip", "1"), &hello_zip())
        .expect("created");
    let no_meta = store
        .create(named("meta", "1"), &hello_zip())
        .expect("created");
    fs::write(dir.scripts().join(&damaged.id).join("1.zip"), b"not a zip").expect("write");
    fs::write(dir.scripts().join(&no_meta.id).join("meta.json"), b"{").expect("write");
    let stray = dir.scripts().join("script-garbage");
    fs::create_dir(&stray).expect("mkdir");
    let staging = dir.scripts().join(".tmp-script-interrupted");
    fs::create_dir(&staging).expect("mkdir");
    fs::write(staging.join("1.zip"), b"half").expect("write");
    let half_update = dir.scripts().join(&good.id).join("2.zip.tmp");
    fs::write(&half_update, b"half").expect("write");

    let reopened = ScriptStore::open(dir.scripts()).expect("corrupt entries do not fail open");
    assert_eq!(reopened.list(), vec![good.clone()]);
    assert!(reopened.bundle(&good.id).is_some());
    assert!(!staging.exists(), "interrupted creations are cleaned up");
    assert!(!half_update.exists(), "interrupted updates are cleaned up");
}

#[test]
fn open_fails_on_an_unreadable_directory() {
    let dir = TempDir::new();
    let file = dir.0.join("scripts");
    fs::write(&file, b"a file, not a directory").expect("write");
    assert!(matches!(
        ScriptStore::open(&file),
        Err(StoreError::Io { action: "read", .. })
    ));
}

#[test]
fn paths_leaving_the_zip_are_refused() {
    for name in [
        "../evil.js",
        "lib/../../evil.js",
        "/etc/evil.js",
        "C:\\evil.js",
        "\\evil.js",
    ] {
        let message = create_error(&[("index.js", HELLO), (name, b"1")]);
        assert!(message.contains("must stay inside"), "{name}: {message}");
    }
}

#[test]
fn a_colon_after_a_non_letter_names_no_drive_wherever_the_file_sits() {
    // Found by fuzzing: `game/&:b/c.json` was accepted in a folder but `&:b/c.json` refused at
    // the root as a drive path, so the files of an accepted script, packed again, were refused.
    let folder = zip_of(&[("game/index.js", HELLO), ("game/&:b/c.json", b"{}")]);
    let content = unpack(&folder).expect("the folder form unpacks");
    assert!(content.files.contains_key("&:b/c.json"));
    let root = zip_of(&[("index.js", HELLO), ("&:b/c.json", b"{}")]);
    assert_eq!(
        unpack(&root).expect("the root form unpacks").files,
        content.files
    );
    let packed = pack(&[
        ("index.js".to_owned(), HELLO.to_vec()),
        ("&:b/c.json".to_owned(), b"{}".to_vec()),
    ])
    .expect("pack");
    assert_eq!(unpack(&packed).expect("packed again").files, content.files);
    // A real drive is refused in both forms.
    for (entry, drive) in [
        ("index.js", "c:b/c.json"),
        ("game/index.js", "game/c:b/c.json"),
    ] {
        let zip = zip_of(&[(entry, HELLO), (drive, b"{}")]);
        assert!(unpack(&zip).is_err(), "{drive}");
    }
}

#[test]
fn symbolic_links_are_refused() {
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default();
    writer.start_file("index.js", options).expect("entry");
    writer.write_all(HELLO).expect("content");
    writer
        .add_symlink("lib/util.js", "/etc/passwd", options)
        .expect("link");
    let zip = writer.finish().expect("zip").into_inner();
    let dir = TempDir::new();
    let store = ScriptStore::open(dir.scripts()).expect("open");
    let message = invalid_message(store.create(NewScript::default(), &zip));
    assert!(
        message.contains("lib/util.js is a symbolic link"),
        "{message}"
    );
}

#[test]
fn oversize_zips_and_contents_are_refused() {
    let dir = TempDir::new();
    let store = ScriptStore::open(dir.scripts()).expect("open");
    let message = invalid_message(store.create(NewScript::default(), &vec![0; MAX_ZIP_BYTES + 1]));
    assert!(message.contains("the limit is 5000000"), "{message}");

    // Compresses to a few kilobytes, unpacks past the limit.
    let bomb = vec![b' '; usize::try_from(MAX_UNPACKED_BYTES).expect("fits") + 1];
    let message = create_error(&[("index.js", HELLO), ("big.js", &bomb)]);
    assert!(message.contains("unpack to more than"), "{message}");

    let names: Vec<String> = (0..=MAX_FILES).map(|i| format!("f{i}.txt")).collect();
    let mut files: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b""[..])).collect();
    files.push(("index.js", HELLO));
    let message = create_error(&files);
    assert!(message.contains("more than 1000 files"), "{message}");
}

#[test]
fn a_missing_entry_file_is_named() {
    let message = create_error(&[("main.js", HELLO)]);
    assert!(message.contains("looked for index.js"), "{message}");
    // Two top-level folders: no single root to pick.
    let message = create_error(&[("a/index.js", HELLO), ("b/index.js", HELLO)]);
    assert!(message.contains("looked for index.js"), "{message}");
    let message = create_error(&[]);
    assert!(message.contains("looked for index.js"), "{message}");
}

#[test]
fn a_single_top_level_folder_is_the_root() {
    let dir = TempDir::new();
    let store = ScriptStore::open(dir.scripts()).expect("open");
    let zip = zip_of(&[
        ("game/index.js", HELLO),
        ("game/lib/util.js", UTIL),
        ("game/README.md", b"ignored"),
        ("__MACOSX/game/._index.js", b"\xff\xfe binary resource fork"),
    ]);
    let created = store.create(NewScript::default(), &zip).expect("created");
    let bundle = store.bundle(&created.id).expect("bundle");
    let paths: Vec<&str> = bundle.files.keys().map(String::as_str).collect();
    assert_eq!(paths, ["index.js", "lib/util.js"]);
}

#[test]
fn syntax_errors_name_the_file() {
    let message = create_error(&[("index.js", HELLO), ("lib/util.js", b"exports.x = ;\n")]);
    assert!(
        message.starts_with("lib/util.js does not compile"),
        "{message}"
    );
}

#[test]
fn loadable_files_must_be_text_and_json_must_parse() {
    let message = create_error(&[("index.js", HELLO), ("data.js", b"\xff\xfe")]);
    assert_eq!(message, "data.js is not UTF-8 text");
    let message = create_error(&[("index.js", HELLO), ("config.json", b"{\"a\": }")]);
    assert!(
        message.starts_with("config.json is not valid JSON"),
        "{message}"
    );
    // Other files are ignored, whatever they hold; a byte order mark is dropped.
    let dir = TempDir::new();
    let store = ScriptStore::open(dir.scripts()).expect("open");
    let zip = zip_of(&[
        ("index.js", b"\xef\xbb\xbfexports.ssExports = {};\n"),
        ("logo.png", b"\x89PNG\xff"),
        ("config.json", b"{\"a\": 1}"),
    ]);
    let created = store.create(NewScript::default(), &zip).expect("created");
    let bundle = store.bundle(&created.id).expect("bundle");
    assert_eq!(bundle.files["index.js"], "exports.ssExports = {};\n");
    assert!(!bundle.files.contains_key("logo.png"));
}

#[test]
fn bad_archives_and_node_versions_are_refused() {
    let message = create_error(&[]);
    assert!(message.contains("index.js"), "{message}");
    let dir = TempDir::new();
    let store = ScriptStore::open(dir.scripts()).expect("open");
    let message = invalid_message(store.create(NewScript::default(), b"PK not really"));
    assert!(
        message.starts_with("the script is not a valid zip archive"),
        "{message}"
    );
    let script = NewScript {
        node_js_version: Some("18.x".into()),
        ..NewScript::default()
    };
    let message = invalid_message(store.create(script, &hello_zip()));
    assert!(message.contains("10.x, 24.x"), "{message}");
}

#[test]
fn register_path_takes_a_js_file_a_directory_or_a_zip() {
    let dir = TempDir::new();
    let store = ScriptStore::open(dir.scripts()).expect("open");
    let sources = dir.0.join("sources");
    fs::create_dir_all(sources.join("game/lib")).expect("mkdir");
    fs::create_dir_all(sources.join("game/.git")).expect("mkdir");
    fs::write(sources.join("game/index.js"), HELLO).expect("write");
    fs::write(sources.join("game/lib/util.js"), UTIL).expect("write");
    fs::write(sources.join("game/notes.txt"), b"\xff ignored").expect("write");
    fs::write(sources.join("game/.git/HEAD.js"), b"\xff hidden").expect("write");
    fs::write(sources.join("single.js"), b"exports.ssExports = {};\n").expect("write");
    fs::write(sources.join("packed.zip"), hello_zip()).expect("write");

    let from_dir = store
        .register_path(&sources.join("game"))
        .expect("directory");
    assert_eq!(from_dir.name.as_deref(), Some("game"));
    assert_eq!(
        from_dir.source,
        Some(fs::canonicalize(sources.join("game")).expect("path"))
    );
    let bundle = store.bundle(&from_dir.id).expect("bundle");
    let paths: Vec<&str> = bundle.files.keys().map(String::as_str).collect();
    assert_eq!(paths, ["index.js", "lib/util.js"]);

    let from_js = store
        .register_path(&sources.join("single.js"))
        .expect("js file");
    assert_eq!(from_js.name.as_deref(), Some("single.js"));
    let bundle = store.bundle(&from_js.id).expect("bundle");
    assert_eq!(bundle.files["index.js"], "exports.ssExports = {};\n");

    let from_zip = store
        .register_path(&sources.join("packed.zip"))
        .expect("zip");
    assert_eq!(from_zip.name.as_deref(), Some("packed.zip"));
    assert_eq!(from_zip.size_on_disk, hello_zip().len() as u64);
    assert_eq!(store.list().len(), 3);

    fs::write(sources.join("other.txt"), b"x").expect("write");
    let message = invalid_message(store.register_path(&sources.join("other.txt")));
    assert!(
        message.contains("not a .js file, a .zip or a directory"),
        "{message}"
    );
    assert!(matches!(
        store.register_path(&sources.join("missing.js")),
        Err(StoreError::Io { .. })
    ));
}

#[test]
fn registering_the_same_path_again_reuses_the_script() {
    let dir = TempDir::new();
    let sources = dir.0.join("sources");
    fs::create_dir_all(sources.join("game")).expect("mkdir");
    fs::write(sources.join("game/index.js"), HELLO).expect("write");
    fs::write(sources.join("game/lib.js"), UTIL).expect("write");
    let store = ScriptStore::open(dir.scripts()).expect("open");
    let first = store
        .register_path(&sources.join("game"))
        .expect("registered");

    // A restart with the same content: the same resource, the same revision.
    let store = ScriptStore::open(dir.scripts()).expect("reopen");
    let again = store
        .register_path(&sources.join("game/../game"))
        .expect("registered");
    assert_eq!(again, first);
    assert_eq!(store.list().len(), 1);

    // Changed content: the same resource, next revision.
    fs::write(
        sources.join("game/lib.js"),
        b"exports.hello = () => 'hey';\n",
    )
    .expect("write");
    let store = ScriptStore::open(dir.scripts()).expect("reopen");
    let changed = store
        .register_path(&sources.join("game"))
        .expect("registered");
    assert_eq!(
        (changed.id.as_str(), changed.revision),
        (first.id.as_str(), 2)
    );
    let bundle = store.bundle(&first.id).expect("bundle");
    assert_eq!(bundle.revision, 2);
    assert!(bundle.files["lib.js"].contains("hey"));
    assert_eq!(store.list().len(), 1);
}

#[test]
fn register_path_applies_the_zip_rules() {
    let dir = TempDir::new();
    let store = ScriptStore::open(dir.scripts()).expect("open");
    let sources = dir.0.join("sources");
    fs::create_dir_all(sources.join("broken")).expect("mkdir");
    fs::write(sources.join("broken/index.js"), b"exports.ssExports = {\n").expect("write");
    let message = invalid_message(store.register_path(&sources.join("broken")));
    assert!(
        message.starts_with("index.js does not compile"),
        "{message}"
    );

    fs::create_dir_all(sources.join("empty")).expect("mkdir");
    let message = invalid_message(store.register_path(&sources.join("empty")));
    assert!(message.contains("looked for index.js"), "{message}");

    fs::create_dir_all(sources.join("linked")).expect("mkdir");
    fs::write(sources.join("linked/index.js"), HELLO).expect("write");
    std::os::unix::fs::symlink("/etc/hostname", sources.join("linked/lib.js")).expect("link");
    let message = invalid_message(store.register_path(&sources.join("linked")));
    assert!(message.contains("lib.js is a symbolic link"), "{message}");
    assert!(store.list().is_empty());
}

#[test]
fn the_number_of_scripts_is_bounded() {
    let dir = TempDir::new();
    let store = ScriptStore::open(dir.scripts()).expect("opens");
    let zip = zip_of(&[("index.js", b"exports.ssExports = {};")]);
    for n in 0..MAX_SCRIPTS {
        store
            .create(named("s", &n.to_string()), &zip)
            .expect("room left");
    }
    let full = invalid_message(store.create(named("s", "one too many"), &zip));
    assert!(full.contains("delete one first"), "{full}");
    let first = store.list()[0].id.clone();
    store.delete(&first).expect("deleted");
    store.create(named("s", "again"), &zip).expect("room again");
}

/// A script that bundles a package, as AWS's sample bundles `node-gameloop`: with files no
/// `require` reaches (an ES module build, a `tsconfig.json` with comments, type definitions).
const WITH_PACKAGE: &[(&str, &[u8])] = &[
    (
        "index.js",
        b"const loop = require('node-gameloop');\n\
          exports.ssExports = { configuration: { maxPlayers: loop.players } };\n",
    ),
    (
        "node_modules/node-gameloop/package.json",
        b"{\"name\": \"node-gameloop\", \"main\": \"lib/main.js\"}",
    ),
    (
        "node_modules/node-gameloop/lib/main.js",
        b"exports.players = require('./count.json').players;\n",
    ),
    (
        "node_modules/node-gameloop/lib/count.json",
        b"{\"players\": 7}",
    ),
    (
        "node_modules/node-gameloop/esm/main.js",
        b"export const players = 7;\n",
    ),
    (
        "node_modules/node-gameloop/tsconfig.json",
        b"{ // comments, as TypeScript allows\n}",
    ),
    ("node_modules/node-gameloop/README.md", b"# node-gameloop"),
    (
        "node_modules/node-gameloop/index.d.ts",
        b"export const players: number;",
    ),
];

/// The files a bundle with [`WITH_PACKAGE`]'s content keeps: JavaScript and JSON only.
const KEPT: [&str; 6] = [
    "index.js",
    "node_modules/node-gameloop/esm/main.js",
    "node_modules/node-gameloop/lib/count.json",
    "node_modules/node-gameloop/lib/main.js",
    "node_modules/node-gameloop/package.json",
    "node_modules/node-gameloop/tsconfig.json",
];

/// Starts a game session's script from `bundle` and answers its `maxPlayers`.
fn max_players_of(bundle: Arc<Bundle>) -> Option<usize> {
    let limits = crate::script::Limits {
        callback_timeout: Duration::from_millis(500),
        start_timeout: Duration::from_secs(2),
        cpu_budget: Duration::from_secs(1),
        memory_limit_bytes: 32 << 20,
        deny_on_error: false,
        max_consecutive_failures: 0,
        max_queued_send_bytes: 512 << 10,
    };
    let metrics = Arc::new(crate::metrics::Metrics::default());
    crate::script::ScriptInstance::start(bundle, "gs-1", limits, 4096, metrics)
        .unwrap_or_else(|e| panic!("{e}"))
        .configuration()
        .max_players
}

#[test]
fn bundled_node_modules_are_kept_and_loaded() {
    let dir = TempDir::new();
    let store = ScriptStore::open(dir.scripts()).expect("open");
    let created = store
        .create(NewScript::default(), &zip_of(WITH_PACKAGE))
        .expect("created");
    let bundle = store.bundle(&created.id).expect("bundle");
    let paths: Vec<&str> = bundle.files.keys().map(String::as_str).collect();
    assert_eq!(paths, KEPT);
    assert_eq!(max_players_of(bundle), Some(7));

    // The same from a directory, whose hidden `node_modules/.bin` is skipped.
    let game = dir.0.join("game");
    for (path, content) in WITH_PACKAGE {
        let path = game.join(path);
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(path, content).expect("write");
    }
    fs::create_dir_all(game.join("node_modules/.bin")).expect("mkdir");
    fs::write(game.join("node_modules/.bin/tool.js"), b"\xff not text").expect("write");
    let registered = store.register_path(&game).expect("registered");
    let bundle = store.bundle(&registered.id).expect("bundle");
    let paths: Vec<&str> = bundle.files.keys().map(String::as_str).collect();
    assert_eq!(paths, KEPT);
    assert_eq!(max_players_of(bundle), Some(7));

    // The script's own files are still checked when stored.
    let message = create_error(&[
        ("index.js", HELLO),
        ("lib/esm.js", b"export const x = 1;\n"),
    ]);
    assert!(
        message.starts_with("lib/esm.js does not compile"),
        "{message}"
    );
}
