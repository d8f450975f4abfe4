//! The library's modules form no import cycle: no module uses one that uses it back, directly
//! or through others (docs/architecture.md). Run alone with
//! `cargo test --test module_graph`; a failure names each cycle and what ties it.
//!
//! The graph is read from the source: a module is a file under `src/`, and module A depends on
//! module B when A names an item of B, in a `use` or in a path (`crate::b::f()`,
//! `super::Thing`, `child::f()`). A path to an item that a module only re-exports
//! (`pub use child::Thing`) leads to the module that defines it, and a re-export alone is no
//! dependency of the module that makes it. A module's use of its own ancestors (`super::Control`)
//! is no edge either: a folder's `mod.rs` holds what its files share and wires them together,
//! as `control/mod.rs` routes to `control::ops`, which takes `super::Control`. Test-only code (`#[cfg(test)]` items and the files
//! of `#[cfg(test)] mod x;`) is left out: tests may reach anything.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

type ModPath = Vec<String>;

/// One source file of the library.
struct Module {
    /// The code without comments, literals and test-only items.
    code: String,
    /// The same without its `use` declarations.
    body: String,
    /// Child modules declared in it.
    children: BTreeSet<String>,
    /// Names this module re-exports, to where they point.
    reexports: BTreeMap<String, ModPath>,
    /// Paths it names: full path and whether it is only a re-export (with the name it takes).
    paths: Vec<Named>,
}

struct Named {
    path: ModPath,
    /// The name a `pub use` brings in; its edge counts only if the module itself uses it.
    reexported_as: Option<String>,
}

#[test]
fn the_library_has_no_import_cycles() {
    let modules = read_modules(Path::new(env!("CARGO_MANIFEST_DIR")).join("src").as_path());
    let graph = edges(&modules);
    assert!(
        modules.len() > 40 && graph.values().map(BTreeMap::len).sum::<usize>() > 100,
        "too small a graph: the source was not read ({} modules)",
        modules.len()
    );
    // The reading must see the arrows that are known to exist.
    let depends = |from: &str, to: &str| {
        graph
            .get(&split(from))
            .is_some_and(|targets| targets.contains_key(&split(to)))
    };
    assert!(
        depends("transport::ws", "host"),
        "an expected edge is missing"
    );
    assert!(
        depends("host::session", "core::session"),
        "an edge through a re-export is missing"
    );

    let cycles = strongly_connected(&graph);
    let mut report = String::new();
    for cycle in &cycles {
        report.push_str("cycle:\n");
        for from in cycle {
            for (to, names) in &graph[from] {
                if cycle.contains(to) {
                    let names: Vec<&str> = names.iter().map(String::as_str).collect();
                    report.push_str(&format!(
                        "  {} -> {}: {}\n",
                        show(from),
                        show(to),
                        names.join(", ")
                    ));
                }
            }
        }
    }
    assert!(
        cycles.is_empty(),
        "modules that import each other:\n{report}"
    );
}

fn split(path: &str) -> ModPath {
    path.split("::").map(str::to_owned).collect()
}

fn show(path: &ModPath) -> String {
    if path.is_empty() {
        "crate".to_owned()
    } else {
        path.join("::")
    }
}

/// Every library module under `src`, by module path, from `lib.rs` down.
fn read_modules(src: &Path) -> BTreeMap<ModPath, Module> {
    let mut modules = BTreeMap::new();
    let mut pending = vec![(Vec::new(), src.join("lib.rs"))];
    while let Some((path, file)) = pending.pop() {
        let text =
            std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let (code, declared) = strip(&text);
        let dir = match file.file_name().and_then(|n| n.to_str()) {
            Some("lib.rs" | "mod.rs") => file.parent().map(Path::to_path_buf),
            _ => Some(file.with_extension("")),
        }
        .expect("a file has a folder");
        let mut children = BTreeSet::new();
        for child in declared {
            let flat = dir.join(format!("{child}.rs"));
            let nested = dir.join(&child).join("mod.rs");
            let child_file = if flat.exists() { flat } else { nested };
            let mut child_path = path.clone();
            child_path.push(child.clone());
            pending.push((child_path, child_file));
            children.insert(child);
        }
        modules.insert(
            path,
            Module {
                code,
                body: String::new(),
                children,
                reexports: BTreeMap::new(),
                paths: Vec::new(),
            },
        );
    }
    let names: Vec<ModPath> = modules.keys().cloned().collect();
    for path in names {
        let (paths, reexports, body) = named_paths(&modules, &path);
        let module = modules.get_mut(&path).expect("listed");
        module.paths = paths;
        module.reexports = reexports;
        module.body = body;
    }
    modules
}

/// For every module, the modules it depends on, with the names that tie them.
fn edges(
    modules: &BTreeMap<ModPath, Module>,
) -> BTreeMap<ModPath, BTreeMap<ModPath, BTreeSet<String>>> {
    let mut graph = BTreeMap::new();
    for (from, module) in modules {
        let targets: &mut BTreeMap<ModPath, BTreeSet<String>> =
            graph.entry(from.clone()).or_default();
        for named in &module.paths {
            if let Some(name) = &named.reexported_as
                && !uses_word(&module.body, name)
            {
                continue;
            }
            let (to, item) = resolve(modules, &named.path, 0);
            if to != *from && !from.starts_with(&to) {
                let label = item.unwrap_or_else(|| "(the module)".to_owned());
                targets.entry(to).or_default().insert(label);
            }
        }
    }
    graph
}

/// The module that defines what `path` names, and the item's name.
fn resolve(
    modules: &BTreeMap<ModPath, Module>,
    path: &ModPath,
    depth: usize,
) -> (ModPath, Option<String>) {
    let mut module = Vec::new();
    for segment in path {
        let mut next = module.clone();
        next.push(segment.clone());
        if modules.contains_key(&next) {
            module = next;
        } else {
            break;
        }
    }
    let item = path.get(module.len()).cloned();
    if let Some(name) = &item
        && depth < 8
        && let Some(target) = modules[&module].reexports.get(name)
    {
        return resolve(modules, target, depth + 1);
    }
    (module, item)
}

fn uses_word(code: &str, word: &str) -> bool {
    let mut rest = code;
    while let Some(at) = rest.find(word) {
        let before = rest[..at].chars().next_back();
        let after = rest[at + word.len()..].chars().next();
        let boundary = |c: Option<char>| c.is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
        if boundary(before) && boundary(after) {
            return true;
        }
        rest = &rest[at + word.len()..];
    }
    false
}

// --- reading the source ---------------------------------------------------------------

/// The code without comments, string and character literals (each becomes `""`), and
/// `#[cfg(test)]` items; and the child modules it declares outside those.
fn strip(text: &str) -> (String, Vec<String>) {
    let code = without_comments_and_literals(text);
    let mut kept = String::with_capacity(code.len());
    let mut rest = code.as_str();
    while let Some(at) = rest.find("#[cfg(test)]") {
        kept.push_str(&rest[..at]);
        rest = skip_item(&rest[at + "#[cfg(test)]".len()..]);
    }
    kept.push_str(rest);
    // `mod name;` declares a file; `mod name { .. }` does not end in a semicolon.
    let children = kept
        .split(';')
        .filter_map(
            |statement| match statement.split_whitespace().collect::<Vec<_>>()[..] {
                [.., "mod", name] => Some(name.to_owned()),
                _ => None,
            },
        )
        .collect();
    (kept, children)
}

/// What follows the item at the start of `rest` (after its attributes): up to its `;` or
/// through its balanced braces, whichever comes first.
fn skip_item(rest: &str) -> &str {
    let mut depth = 0usize;
    for (i, c) in rest.char_indices() {
        match c {
            ';' if depth == 0 => return &rest[i + 1..],
            '{' => depth += 1,
            '}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return &rest[i + 1..];
                }
            }
            _ => {}
        }
    }
    ""
}

fn without_comments_and_literals(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if c == 'r' && (next == Some('#') || next == Some('"')) && !ident_before(&chars, i) {
            // A raw string: r"..." or r#"..."#.
            let mut hashes = 0;
            let mut j = i + 1;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            while j < chars.len() {
                if chars[j] == '"' && (1..=hashes).all(|k| chars.get(j + k) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            out.push_str("\"\"");
            i = j;
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == '\'' {
            // A character literal ('x', '\n', '\u{..}'), or a lifetime, which stays.
            if next == Some('\\') {
                let mut j = i + 2;
                while j < chars.len() && chars[j] != '\'' {
                    j += 1;
                }
                i = j + 1;
                out.push_str("''");
            } else if chars.get(i + 2) == Some(&'\'') {
                i += 3;
                out.push_str("''");
            } else {
                out.push(c);
                i += 1;
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn ident_before(chars: &[char], i: usize) -> bool {
    i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_')
}

/// The crate paths that module `at` names, and the names it re-exports.
fn named_paths(
    modules: &BTreeMap<ModPath, Module>,
    at: &ModPath,
) -> (Vec<Named>, BTreeMap<String, ModPath>, String) {
    let module = &modules[at];
    let code = &module.code;
    let mut named = Vec::new();
    let mut reexports = BTreeMap::new();
    let mut outside_uses = String::with_capacity(code.len());

    // `use` declarations.
    let mut rest = code.as_str();
    while let Some(start) = find_use(rest) {
        outside_uses.push_str(&rest[..start.keyword]);
        let end = rest[start.tree..]
            .find(';')
            .map_or(rest.len(), |e| start.tree + e);
        let tree = &rest[start.tree..end];
        let mut leaves = Vec::new();
        expand_tree(tree, Vec::new(), &mut leaves);
        for (path, alias) in leaves {
            let Some(full) = absolute(modules, at, &path) else {
                continue;
            };
            if start.public {
                if let Some(alias) = &alias {
                    reexports.insert(alias.clone(), full.clone());
                }
                named.push(Named {
                    path: full,
                    reexported_as: alias,
                });
            } else {
                named.push(Named {
                    path: full,
                    reexported_as: None,
                });
            }
        }
        rest = &rest[(end + 1).min(rest.len())..];
    }
    outside_uses.push_str(rest);

    // Paths in the code: `crate::a::b`, `super::x`, `self::x`, `child::x`.
    let chars: Vec<char> = outside_uses.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if !(chars[i].is_alphabetic() || chars[i] == '_') || ident_before(&chars, i) {
            i += 1;
            continue;
        }
        let after_colons = i >= 2 && chars[i - 1] == ':' && chars[i - 2] == ':';
        let mut segments = Vec::new();
        let mut j = i;
        loop {
            let begin = j;
            while j < chars.len() && (chars[j].is_alphanumeric() || chars[j] == '_') {
                j += 1;
            }
            segments.push(chars[begin..j].iter().collect::<String>());
            if chars.get(j) == Some(&':') && chars.get(j + 1) == Some(&':') {
                let k = j + 2;
                if chars.get(k).is_some_and(|c| c.is_alphabetic() || *c == '_') {
                    j = k;
                    continue;
                }
            }
            break;
        }
        if !after_colons
            && segments.len() > 1
            && let Some(full) = absolute(modules, at, &segments)
        {
            named.push(Named {
                path: full,
                reexported_as: None,
            });
        }
        i = j.max(i + 1);
    }
    (named, reexports, outside_uses)
}

struct UseAt {
    /// Where the `use` keyword (or the `pub` before it) starts.
    keyword: usize,
    /// Where the use tree starts.
    tree: usize,
    public: bool,
}

fn find_use(code: &str) -> Option<UseAt> {
    let mut from = 0;
    while let Some(found) = code[from..].find("use ") {
        let at = from + found;
        let boundary = code[..at]
            .chars()
            .next_back()
            .is_none_or(|c| c.is_whitespace() || c == ';' || c == '{' || c == '}' || c == ')');
        if boundary {
            let before = code[..at].trim_end();
            let public = before.ends_with("pub")
                || before.ends_with("pub(crate)")
                || before.ends_with("pub(super)");
            let keyword = if public {
                before.rfind("pub").unwrap_or(at)
            } else {
                at
            };
            return Some(UseAt {
                keyword,
                tree: at + "use ".len(),
                public,
            });
        }
        from = at + 1;
    }
    None
}

/// Expands a use tree (`a::{b, c::d as e}`) into its leaves: each full path, and the name it
/// takes in scope (`None` for globs).
fn expand_tree(tree: &str, prefix: Vec<String>, leaves: &mut Vec<(Vec<String>, Option<String>)>) {
    let tree = tree.trim();
    if let Some(open) = tree.find('{') {
        let head = tree[..open].trim().trim_end_matches("::");
        let mut base = prefix;
        base.extend(
            head.split("::")
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
        );
        let close = tree.rfind('}').unwrap_or(tree.len());
        for part in split_top_level(&tree[open + 1..close]) {
            expand_tree(part, base.clone(), leaves);
        }
        return;
    }
    if tree.is_empty() {
        return;
    }
    let (path, alias) = match tree.split_once(" as ") {
        Some((path, alias)) => (path.trim(), Some(alias.trim().to_owned())),
        None => (tree, None),
    };
    let mut full = prefix;
    full.extend(path.split("::").map(str::trim).map(str::to_owned));
    if full.last().is_some_and(|s| s == "*") {
        full.pop();
        leaves.push((full, None));
        return;
    }
    if full.last().is_some_and(|s| s == "self") {
        full.pop();
    }
    let name = alias.or_else(|| full.last().cloned());
    leaves.push((full, name.filter(|n| n != "_")));
}

fn split_top_level(list: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0;
    let mut start = 0;
    for (i, c) in list.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&list[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&list[start..]);
    parts
}

/// `path` as seen from module `at`, from the crate root; `None` for other crates.
fn absolute(modules: &BTreeMap<ModPath, Module>, at: &ModPath, path: &[String]) -> Option<ModPath> {
    let first = path.first()?;
    let mut base: ModPath = match first.as_str() {
        "crate" => Vec::new(),
        "self" => at.clone(),
        "super" => {
            let mut base = at.clone();
            let mut rest = path;
            while rest.first().is_some_and(|s| s == "super") {
                base.pop();
                rest = &rest[1..];
            }
            base.extend(rest.iter().cloned());
            return Some(base);
        }
        name if modules[at].children.contains(name) => {
            let mut base = at.clone();
            base.push(name.to_owned());
            base.extend(path[1..].iter().cloned());
            return Some(base);
        }
        _ => return None,
    };
    base.extend(path[1..].iter().cloned());
    Some(base)
}

// --- cycles -----------------------------------------------------------------------------

/// The groups of two or more modules that reach each other (Tarjan's algorithm).
fn strongly_connected(
    graph: &BTreeMap<ModPath, BTreeMap<ModPath, BTreeSet<String>>>,
) -> Vec<BTreeSet<ModPath>> {
    struct State<'g> {
        graph: &'g BTreeMap<ModPath, BTreeMap<ModPath, BTreeSet<String>>>,
        index: BTreeMap<&'g ModPath, usize>,
        low: BTreeMap<&'g ModPath, usize>,
        stack: Vec<&'g ModPath>,
        on_stack: BTreeSet<&'g ModPath>,
        found: Vec<BTreeSet<ModPath>>,
    }
    fn visit<'g>(s: &mut State<'g>, v: &'g ModPath) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        s.on_stack.insert(v);
        if let Some(targets) = s.graph.get(v) {
            for w in targets.keys() {
                let Some((w, _)) = s.graph.get_key_value(w) else {
                    continue;
                };
                if !s.index.contains_key(w) {
                    visit(s, w);
                    let low = s.low[w].min(s.low[v]);
                    s.low.insert(v, low);
                } else if s.on_stack.contains(w) {
                    let low = s.index[w].min(s.low[v]);
                    s.low.insert(v, low);
                }
            }
        }
        if s.low[v] == s.index[v] {
            let mut group = BTreeSet::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                group.insert(w.clone());
                if w == v {
                    break;
                }
            }
            if group.len() > 1 {
                s.found.push(group);
            }
        }
    }
    let mut state = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for v in graph.keys() {
        if !state.index.contains_key(v) {
            visit(&mut state, v);
        }
    }
    state.found
}
