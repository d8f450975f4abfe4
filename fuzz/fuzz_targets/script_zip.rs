//! The script zip reader of CreateScript and UpdateScript (`src/script/store.rs`): any bytes
//! as the uploaded zip. Unpacking never panics and never holds more than the store's limits;
//! the files of an accepted zip, packed again as `volley serve --script` packs a directory,
//! unpack to the same script.

#![no_main]

use libfuzzer_sys::fuzz_target;
use volley::fuzzing::{pack_script_files, unpack_script_zip};
use volley::script::store::{MAX_FILES, MAX_UNPACKED_BYTES};

fuzz_target!(|data: &[u8]| {
    let Ok(script) = unpack_script_zip(data) else {
        return;
    };
    assert!(script.files.contains_key(&script.entry), "no entry file");
    assert!(script.files.len() <= MAX_FILES);
    let unpacked: usize = script.files.values().map(String::len).sum();
    assert!(unpacked as u64 <= MAX_UNPACKED_BYTES);

    // A leading byte order mark is dropped on unpacking, so a file that starts with a second
    // one loses it in the second round; compare everything else.
    let files: Vec<(String, Vec<u8>)> = script
        .files
        .iter()
        .map(|(path, text)| (path.clone(), text.as_bytes().to_vec()))
        .collect();
    let zip = pack_script_files(&files).expect("unpacked files pack");
    let again = unpack_script_zip(&zip).expect("packed files unpack");
    assert_eq!(again.entry, script.entry);
    let strip = |text: &String| text.trim_start_matches('\u{feff}').to_owned();
    let before: Vec<_> = script
        .files
        .iter()
        .map(|(p, t)| (p.clone(), strip(t)))
        .collect();
    let after: Vec<_> = again
        .files
        .iter()
        .map(|(p, t)| (p.clone(), strip(t)))
        .collect();
    assert_eq!(after, before, "files changed by a pack and unpack");
});
