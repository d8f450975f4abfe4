//! Where `require(name)` finds a module: Node.js's CommonJS resolution over a script's
//! [`Bundle`], whose root stands for the script's folder (scripts.md §6.1, §6.2). Pure: the bundle's
//! file map is the file system.
//!
//! - `./x`, `../x`, `/x`: the file `x`, `x.js`, `x.json`, else the directory `x` (its
//!   `package.json` `main`, else `index.js`, `index.json`).
//! - A bare name (`pkg`, `pkg/lib/x`, `@scope/pkg`): `node_modules/<name>` in the requiring
//!   file's directory and each parent up to the root; a package's `exports` map, where it
//!   has one, decides alone (conditions `require`, `node`, `default`).
//! - One level above the root is the GameLift Realtime server's own folder, of which Volley
//!   provides the modules scripts are known to load ([`super::node::server_file`]).
//!
//! Built-in modules come first; the prelude checks them before asking here.

use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};

use super::Bundle;
use super::node;

/// Resolves `require(name)` from directory `dir` (relative to the root, `""` for the root):
/// the path of a bundle file, a path starting with `../` that [`node::server_file`] lists,
/// or nothing.
pub(super) fn resolve(bundle: &Bundle, dir: &str, name: &str) -> Option<String> {
    if name.is_empty() {
        return None;
    }
    let relative = name == "."
        || name == ".."
        || name.starts_with("./")
        || name.starts_with("../")
        || name.starts_with('/');
    if !relative {
        return node_modules(bundle, dir, name);
    }
    let start = if name.starts_with('/') { "" } else { dir };
    let (above, path) = join(start, name)?;
    match above {
        0 if name.ends_with('/') => as_directory(bundle, &path),
        0 => as_file(bundle, &path).or_else(|| as_directory(bundle, &path)),
        1 => [format!("../{path}"), format!("../{path}.js")]
            .into_iter()
            .find(|candidate| node::server_file(candidate).is_some()),
        _ => None,
    }
}

/// `base` joined with `path`, `.` and `..` resolved: how many levels it climbs above the root,
/// and the path below that point. `None` for a path with a backslash or NUL, which no bundle
/// file has.
fn join(base: &str, path: &str) -> Option<(usize, String)> {
    if path.contains(['\\', '\0']) {
        return None;
    }
    let mut above = 0;
    let mut parts: Vec<&str> = Vec::new();
    for part in base.split('/').chain(path.split('/')) {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    above += 1;
                }
            }
            part => parts.push(part),
        }
    }
    Some((above, parts.join("/")))
}

/// `path` below the root, or nothing if it climbs above it.
fn inside(base: &str, path: &str) -> Option<String> {
    match join(base, path)? {
        (0, path) => Some(path),
        _ => None,
    }
}

/// Node's LOAD_AS_FILE: the file itself, then with `.js`, then `.json`.
fn as_file(bundle: &Bundle, path: &str) -> Option<String> {
    if path.is_empty() {
        return None;
    }
    [
        path.to_owned(),
        format!("{path}.js"),
        format!("{path}.json"),
    ]
    .into_iter()
    .find(|candidate| bundle.files.contains_key(candidate))
}

/// Node's LOAD_INDEX.
fn index(bundle: &Bundle, path: &str) -> Option<String> {
    let prefix = if path.is_empty() {
        String::new()
    } else {
        format!("{path}/")
    };
    [format!("{prefix}index.js"), format!("{prefix}index.json")]
        .into_iter()
        .find(|candidate| bundle.files.contains_key(candidate))
}

/// Node's LOAD_AS_DIRECTORY: `package.json`'s `main` as a file or a directory's index, else
/// the directory's own index.
fn as_directory(bundle: &Bundle, path: &str) -> Option<String> {
    let main = package(bundle, path)
        .and_then(|p| p.main)
        .filter(|main| !main.is_empty());
    if let Some(main) = main.and_then(|main| inside(path, &main))
        && let Some(found) = as_file(bundle, &main).or_else(|| index(bundle, &main))
    {
        return Some(found);
    }
    index(bundle, path)
}

/// Node's LOAD_NODE_MODULES, with LOAD_PACKAGE_EXPORTS first in each directory.
fn node_modules(bundle: &Bundle, dir: &str, name: &str) -> Option<String> {
    let split = split_package(name);
    let parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for end in (0..=parts.len()).rev() {
        if end > 0 && parts[end - 1] == "node_modules" {
            continue;
        }
        let mut modules = parts[..end].join("/");
        if !modules.is_empty() {
            modules.push('/');
        }
        modules.push_str("node_modules");
        if let Some((package_name, subpath)) = split {
            let root = format!("{modules}/{package_name}");
            if let Some(exports) = package(bundle, &root).and_then(|p| p.exports) {
                // A package with `exports` answers alone: what it does not export is not
                // found, even where a file of that name exists.
                return exported(bundle, &root, subpath, &exports);
            }
        }
        if let Some(path) = inside(&modules, name)
            && let Some(found) = as_file(bundle, &path).or_else(|| as_directory(bundle, &path))
        {
            return Some(found);
        }
    }
    None
}

/// A bare name as a package name and a subpath (`""` or starting with `/`), as Node splits it:
/// `@scope/pkg/x` is `@scope/pkg` and `/x`. `None` when it names no package.
fn split_package(name: &str) -> Option<(&str, &str)> {
    let end = if name.starts_with('@') {
        let slash = name.find('/')?;
        name[slash + 1..]
            .find('/')
            .map_or(name.len(), |i| slash + 1 + i)
    } else {
        name.find('/').unwrap_or(name.len())
    };
    let (package, subpath) = name.split_at(end);
    let bad = package.is_empty()
        || package.starts_with('.')
        || package.contains(['%', '\\'])
        || package.ends_with('/');
    (!bad).then_some((package, subpath))
}

/// What `require` reads of a `package.json`.
#[derive(Deserialize)]
struct Package {
    #[serde(default, deserialize_with = "string_or_nothing")]
    main: Option<String>,
    #[serde(default)]
    exports: Option<Target>,
}

/// `main` when it is a string; Node ignores any other value.
fn string_or_nothing<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(serde_json::Value::deserialize(d)?
        .as_str()
        .map(str::to_owned))
}

/// `dir/package.json`, if there is one that parses.
fn package(bundle: &Bundle, dir: &str) -> Option<Package> {
    let path = if dir.is_empty() {
        "package.json".to_owned()
    } else {
        format!("{dir}/package.json")
    };
    serde_json::from_str(bundle.files.get(&path)?).ok()
}

/// A value of `exports`, with objects in the order of the file: conditions are tried in that
/// order.
#[derive(Debug, PartialEq)]
enum Target {
    Path(String),
    Object(Vec<(String, Target)>),
    Array(Vec<Target>),
    Null,
    /// A number or a boolean: never a valid target.
    Invalid,
}

impl<'de> Deserialize<'de> for Target {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct TargetVisitor;
        impl<'de> Visitor<'de> for TargetVisitor {
            type Value = Target;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a package.json exports value")
            }
            fn visit_str<E>(self, v: &str) -> Result<Target, E> {
                Ok(Target::Path(v.to_owned()))
            }
            fn visit_unit<E>(self) -> Result<Target, E> {
                Ok(Target::Null)
            }
            fn visit_bool<E>(self, _: bool) -> Result<Target, E> {
                Ok(Target::Invalid)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Target, E> {
                Ok(Target::Invalid)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Target, E> {
                Ok(Target::Invalid)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Target, E> {
                Ok(Target::Invalid)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Target, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Target::Array(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Target, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                Ok(Target::Object(entries))
            }
        }
        d.deserialize_any(TargetVisitor)
    }
}

/// The conditions a `require` matches, besides `default`.
const CONDITIONS: [&str; 2] = ["require", "node"];

/// Node's PACKAGE_EXPORTS_RESOLVE for `subpath` (`""` or `/x`) of the package at `root`; the
/// file must exist as named, without extensions added.
fn exported(bundle: &Bundle, root: &str, subpath: &str, exports: &Target) -> Option<String> {
    let keys: Option<Vec<&str>> = match exports {
        Target::Object(entries) => Some(entries.iter().map(|(k, _)| k.as_str()).collect()),
        _ => None,
    };
    let dotted = keys
        .as_ref()
        .map_or(0, |keys| keys.iter().filter(|k| k.starts_with('.')).count());
    if keys
        .as_ref()
        .is_some_and(|keys| dotted > 0 && dotted < keys.len())
    {
        return None; // Mixes subpaths and conditions: an invalid configuration.
    }
    let found = if subpath.is_empty() {
        let main = match exports {
            Target::Object(entries) if dotted > 0 => {
                entries.iter().find(|(k, _)| k == ".").map(|(_, v)| v)
            }
            other => Some(other),
        };
        target(root, main?, None)
    } else {
        let Target::Object(entries) = exports else {
            return None;
        };
        if dotted == 0 {
            return None;
        }
        subpath_target(root, &format!(".{subpath}"), entries)
    };
    match found {
        Outcome::Found(path) if bundle.files.contains_key(&path) => Some(path),
        _ => None,
    }
}

/// Node's PACKAGE_IMPORTS_EXPORTS_RESOLVE: an exact key, else the most specific `*` pattern.
fn subpath_target(root: &str, key: &str, entries: &[(String, Target)]) -> Outcome {
    if !key.contains('*')
        && let Some((_, value)) = entries.iter().find(|(k, _)| k == key)
    {
        return target(root, value, None);
    }
    let mut patterns: Vec<&(String, Target)> = entries
        .iter()
        .filter(|(k, _)| k.matches('*').count() == 1)
        .collect();
    patterns.sort_by(|a, b| pattern_order(&a.0, &b.0));
    for (pattern, value) in patterns {
        let Some((base, trailer)) = pattern.split_once('*') else {
            continue;
        };
        if key.starts_with(base)
            && key != base
            && (trailer.is_empty() || (key.ends_with(trailer) && key.len() >= pattern.len()))
        {
            let matched = &key[base.len()..key.len() - trailer.len()];
            return target(root, value, Some(matched));
        }
    }
    Outcome::Null
}

/// Node's PATTERN_KEY_COMPARE: longer prefixes before `*` first, then longer keys.
fn pattern_order(a: &str, b: &str) -> std::cmp::Ordering {
    let base = |k: &str| k.find('*').map_or(0, |i| i + 1);
    base(b).cmp(&base(a)).then_with(|| b.len().cmp(&a.len()))
}

/// How one target of `exports` resolved.
enum Outcome {
    Found(String),
    /// `null`, or nothing matched: not exported.
    Null,
    /// No condition matched: the caller tries its next one.
    Undefined,
    /// Not a valid target.
    Invalid,
}

/// Node's PACKAGE_TARGET_RESOLVE, with the `*` of a pattern standing for `pattern`.
fn target(root: &str, value: &Target, pattern: Option<&str>) -> Outcome {
    match value {
        Target::Path(path) => {
            let Some(rest) = path.strip_prefix("./") else {
                return Outcome::Invalid;
            };
            if !valid_segments(rest) || pattern.is_some_and(|p| !valid_segments(p)) {
                return Outcome::Invalid;
            }
            let rest = match pattern {
                Some(p) => rest.replace('*', p),
                None => rest.to_owned(),
            };
            Outcome::Found(format!("{root}/{rest}"))
        }
        Target::Object(entries) => {
            if entries
                .iter()
                .any(|(k, _)| !k.is_empty() && k.bytes().all(|b| b.is_ascii_digit()))
            {
                return Outcome::Invalid;
            }
            for (condition, value) in entries {
                if condition == "default" || CONDITIONS.contains(&condition.as_str()) {
                    match target(root, value, pattern) {
                        Outcome::Undefined => {}
                        outcome => return outcome,
                    }
                }
            }
            Outcome::Undefined
        }
        Target::Array(items) => {
            // Node's answer when every item failed: the last null or invalid one.
            let mut last = if items.is_empty() {
                Outcome::Null
            } else {
                Outcome::Undefined
            };
            for item in items {
                match target(root, item, pattern) {
                    found @ Outcome::Found(_) => return found,
                    Outcome::Undefined => {}
                    other => last = other,
                }
            }
            last
        }
        Target::Null => Outcome::Null,
        Target::Invalid => Outcome::Invalid,
    }
}

/// No segment of `path` is empty, `.`, `..` or `node_modules`: a target stays inside its
/// package.
fn valid_segments(path: &str) -> bool {
    !path.contains('\\')
        && path.split('/').all(|segment| {
            !segment.is_empty()
                && segment != "."
                && segment != ".."
                && !segment.eq_ignore_ascii_case("node_modules")
        })
}

#[cfg(test)]
#[path = "resolve_tests.rs"]
mod tests;
