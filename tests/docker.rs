//! The Docker image, checked without Docker: the Dockerfile's build stage runs the documented
//! release build and strips the binary it ships, its runtime stage runs as a non-root user,
//! exposes the game port (TCP and UDP) and the control port of the config it ships, checks
//! `/health` with `volley health` and keeps script data in a volume; `.dockerignore` keeps
//! everything else out of the build context. Then the runtime stage runs for real: the same
//! binary with the same arguments, environment and working directory, under a temporary
//! directory standing for the image's root, with the shipped config mounted where the image
//! reads it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::process::Command;
use volley::api::model::Blob;
use volley::api::scripts::CreateScriptInput;
use volley::config::Config;
use volley::control_client::{ClientOptions, ControlClient, Credentials, Endpoint};
use volley::secret::Secret;

mod support;

use support::{RealServer, TempDir, within};

const VOLLEY: &str = env!("CARGO_BIN_EXE_volley");
const REPO: &str = env!("CARGO_MANIFEST_DIR");
/// The release build the README documents and the build stage must run.
const RELEASE_BUILD: &str = "cargo build --release --locked";
const KEY_ID: &str = "AKIDVOLLEYDOCKER";
const SECRET: &str = "docker/K7MDENG+bPxRfiCYTESTSECRET";

/// One instruction: its keyword in upper case and the rest of its (joined) line.
#[derive(Debug)]
struct Instruction {
    keyword: String,
    args: String,
}

/// A `FROM` and the instructions after it.
#[derive(Debug)]
struct Stage {
    image: String,
    name: Option<String>,
    instructions: Vec<Instruction>,
}

impl Stage {
    fn all(&self, keyword: &str) -> impl Iterator<Item = &str> {
        let keyword = keyword.to_owned();
        self.instructions
            .iter()
            .filter(move |i| i.keyword == keyword)
            .map(|i| i.args.as_str())
    }

    /// The last value of a single-valued instruction (the one Docker uses).
    fn last(&self, keyword: &str) -> Option<&str> {
        self.all(keyword).last()
    }
}

/// Parses a Dockerfile: comments and blank lines skipped, `\` continuations joined.
fn parse_dockerfile(text: &str) -> Vec<Stage> {
    let mut lines: Vec<String> = Vec::new();
    let mut pending = String::new();
    for raw in text.lines() {
        let line = raw.trim();
        if line.starts_with('#') || (line.is_empty() && pending.is_empty()) {
            continue;
        }
        match line.strip_suffix('\\') {
            Some(start) => {
                pending.push_str(start.trim_end());
                pending.push(' ');
            }
            None => {
                pending.push_str(line);
                lines.push(std::mem::take(&mut pending));
            }
        }
    }
    assert!(
        pending.is_empty(),
        "the Dockerfile ends inside a continuation"
    );
    let mut stages: Vec<Stage> = Vec::new();
    for line in lines {
        let (keyword, args) = line.split_once(char::is_whitespace).unwrap_or((&line, ""));
        let keyword = keyword.to_ascii_uppercase();
        let args = args.trim().to_owned();
        if keyword == "FROM" {
            let words: Vec<&str> = args.split_whitespace().collect();
            let name = match words.as_slice() {
                [_, as_, name] if as_.eq_ignore_ascii_case("as") => Some((*name).to_owned()),
                [_] => None,
                _ => panic!("unexpected FROM {args}"),
            };
            stages.push(Stage {
                image: words[0].to_owned(),
                name,
                instructions: Vec::new(),
            });
        } else {
            let stage = stages.last_mut().expect("FROM comes first");
            stage.instructions.push(Instruction { keyword, args });
        }
    }
    stages
}

/// A command in exec form (`["a", "b"]`) as its words; shell form is refused, since a
/// runtime image without a shell must not need one.
fn exec_form(args: &str) -> Vec<String> {
    assert!(args.starts_with('['), "exec form expected, got {args}");
    serde_json::from_str(args).unwrap_or_else(|e| panic!("bad exec form {args}: {e}"))
}

/// `COPY [--from=stage] [--chown=..] src... dest`: (from, sources, destination).
fn copy_parts(args: &str) -> (Option<String>, Vec<String>, String) {
    let mut from = None;
    let mut words: Vec<String> = Vec::new();
    for word in args.split_whitespace() {
        if let Some(stage) = word.strip_prefix("--from=") {
            from = Some(stage.to_owned());
        } else if !word.starts_with("--") {
            words.push(word.to_owned());
        }
    }
    let dest = words.pop().expect("COPY has a destination");
    assert!(!words.is_empty(), "COPY has a source: {args}");
    (from, words, dest)
}

/// `ENV` pairs (`KEY=value ...` or the legacy `KEY value`).
fn env_pairs(args: &str) -> Vec<(String, String)> {
    if !args.split_whitespace().next().unwrap_or("").contains('=') {
        let (key, value) = args.split_once(char::is_whitespace).expect("ENV KEY value");
        return vec![(key.to_owned(), value.trim().to_owned())];
    }
    args.split_whitespace()
        .map(|pair| {
            let (key, value) = pair.split_once('=').expect("KEY=value");
            (key.to_owned(), value.trim_matches('"').to_owned())
        })
        .collect()
}

/// `VOLUME ["/a", "/b"]` or `VOLUME /a /b`.
fn volumes(args: &str) -> Vec<String> {
    if args.starts_with('[') {
        exec_form(args)
    } else {
        args.split_whitespace().map(str::to_owned).collect()
    }
}

/// The command of `HEALTHCHECK [--option=value ...] CMD [...]`.
fn healthcheck_command(args: &str) -> Vec<String> {
    let mut rest = args.trim();
    while let Some(option) = rest.strip_prefix("--") {
        let end = option
            .find(char::is_whitespace)
            .expect("an option then CMD");
        rest = option[end..].trim_start();
    }
    let command = rest.strip_prefix("CMD").expect("HEALTHCHECK CMD");
    exec_form(command.trim())
}

/// A path inside the image, under `root` (absolute paths only; they must not climb out).
fn rebase(root: &Path, image_path: &str) -> PathBuf {
    let relative = image_path
        .strip_prefix('/')
        .unwrap_or_else(|| panic!("{image_path} is not absolute"));
    assert!(
        !relative.split('/').any(|part| part == ".."),
        "{image_path}"
    );
    root.join(relative)
}

/// Whether `.dockerignore` keeps `path` (relative to the context) out of the build context:
/// the last matching rule wins, a rule matches a path or any directory above it, `*` matches
/// within one path component and `**` any number of them.
fn ignored(rules: &[(bool, Vec<String>)], path: &str) -> bool {
    let parts: Vec<&str> = path.split('/').collect();
    let mut excluded = false;
    for (negated, pattern) in rules {
        let matched = (1..=parts.len()).any(|n| glob(pattern, &parts[..n]));
        if matched {
            excluded = !negated;
        }
    }
    excluded
}

fn dockerignore_rules(text: &str) -> Vec<(bool, Vec<String>)> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| {
            let (negated, pattern) = match line.strip_prefix('!') {
                Some(pattern) => (true, pattern),
                None => (false, line),
            };
            let pattern = pattern.trim_start_matches("./").trim_matches('/');
            (negated, pattern.split('/').map(str::to_owned).collect())
        })
        .collect()
}

fn glob(pattern: &[String], parts: &[&str]) -> bool {
    match (pattern.first(), parts.first()) {
        (None, None) => true,
        (Some(p), _) if p == "**" => {
            glob(&pattern[1..], parts) || (!parts.is_empty() && glob(pattern, &parts[1..]))
        }
        (Some(p), Some(part)) => wildcard(p, part) && glob(&pattern[1..], &parts[1..]),
        _ => false,
    }
}

/// `*` (any run of characters) and `?` (one character) within one path component.
fn wildcard(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let mut matches = vec![vec![false; t.len() + 1]; p.len() + 1];
    matches[0][0] = true;
    for i in 1..=p.len() {
        matches[i][0] = matches[i - 1][0] && p[i - 1] == '*';
        for j in 1..=t.len() {
            matches[i][j] = match p[i - 1] {
                '*' => matches[i - 1][j] || matches[i][j - 1],
                '?' => matches[i - 1][j - 1],
                c => matches[i - 1][j - 1] && c == t[j - 1],
            };
        }
    }
    matches[p.len()][t.len()]
}

/// What the checks and the run share: the parsed Dockerfile and the shipped config.
struct Image {
    build: Stage,
    runtime: Stage,
    /// ENTRYPOINT then CMD.
    command: Vec<String>,
    /// Where the image reads its config, and the repository file shipped there.
    config_path: String,
    config_source: PathBuf,
    config: Config,
}

fn image() -> Image {
    let text = std::fs::read_to_string(Path::new(REPO).join("Dockerfile")).expect("Dockerfile");
    let mut stages = parse_dockerfile(&text);
    assert!(stages.len() >= 2, "a multi-stage build: {stages:?}");
    let runtime = stages.pop().expect("a runtime stage");
    let build = stages.remove(0);
    let mut command = exec_form(runtime.last("ENTRYPOINT").expect("ENTRYPOINT"));
    command.extend(exec_form(runtime.last("CMD").expect("CMD")));
    let config_flag = command
        .iter()
        .position(|arg| arg == "--config")
        .expect("the server reads a config file");
    let config_path = command[config_flag + 1].clone();
    let config_source = runtime
        .all("COPY")
        .map(copy_parts)
        .find(|(from, _, dest)| from.is_none() && *dest == config_path)
        .map(|(_, sources, _)| Path::new(REPO).join(&sources[0]))
        .expect("the runtime stage ships a config at the path it reads");
    let config = Config::load(&config_source).expect("the shipped config is valid");
    Image {
        build,
        runtime,
        command,
        config_path,
        config_source,
        config,
    }
}

#[test]
fn the_build_stage_runs_the_documented_release_build_on_what_cargo_needs() {
    let image = image();
    let build = &image.build;
    assert!(build.image.starts_with("rust:"), "{}", build.image);
    let runs: Vec<&str> = build.all("RUN").collect();
    // Before the build, only protoc and its well-known protos, which the agones crate (the
    // Agones SDK) compiles its protos with.
    let (release, setup) = runs.split_last().expect("the build stage runs the build");
    assert_eq!(*release, RELEASE_BUILD);
    assert_eq!(setup.len(), 1, "{runs:?}");
    assert!(
        setup[0].contains("apt-get install")
            && setup[0].contains("protobuf-compiler")
            && setup[0].contains("libprotobuf-dev"),
        "{}",
        setup[0]
    );
    let readme = std::fs::read_to_string(Path::new(REPO).join("README.md")).expect("README");
    assert!(
        readme.lines().any(|line| line.trim() == RELEASE_BUILD),
        "the README documents `{RELEASE_BUILD}`"
    );

    // Cargo reads the manifest, the lock file, the sources, the files they include and every
    // explicit target path.
    let copied: Vec<String> = build
        .all("COPY")
        .map(copy_parts)
        .flat_map(|(from, sources, _)| {
            assert!(from.is_none(), "the build stage copies from the context");
            sources
        })
        .collect();
    let manifest: toml::Table = toml::from_str(
        &std::fs::read_to_string(Path::new(REPO).join("Cargo.toml")).expect("Cargo.toml"),
    )
    .expect("manifest");
    let mut needed = vec![
        "Cargo.toml".to_owned(),
        "Cargo.lock".to_owned(),
        "src".to_owned(),
        // The console's built files, which src/control/console.rs embeds.
        "console/dist".to_owned(),
    ];
    for kind in ["bin", "bench", "example", "test"] {
        for target in manifest
            .get(kind)
            .and_then(toml::Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(path) = target.get("path").and_then(toml::Value::as_str) {
                needed.push(path.to_owned());
            }
        }
    }
    for path in &needed {
        assert!(
            copied
                .iter()
                .any(|source| path == source || path.starts_with(&format!("{source}/"))),
            "the build stage copies {path}: {copied:?}"
        );
    }
    let built = image
        .runtime
        .all("COPY")
        .map(copy_parts)
        .find(|(from, _, _)| from.as_deref() == build.name.as_deref())
        .expect("the runtime stage takes the binary from the build stage");
    assert_eq!(built.1, ["/src/target/release/volley"]);
    assert_eq!(build.last("WORKDIR"), Some("/src"));
    assert_eq!(built.2, "/usr/local/bin/volley");
}

#[test]
fn the_build_stage_strips_the_shipped_binary() {
    let image = image();
    let env: Vec<(String, String)> = image.build.all("ENV").flat_map(env_pairs).collect();
    let strip = env
        .iter()
        .rev()
        .find(|(key, _)| key == "CARGO_PROFILE_RELEASE_STRIP")
        .map(|(_, value)| value.as_str());
    assert!(
        matches!(strip, Some("symbols" | "true")),
        "the build stage strips symbols: {env:?}"
    );

    // The same release profile and environment on a tiny program, built for real: the
    // environment must make Cargo strip what it would otherwise ship.
    let manifest: toml::Table = toml::from_str(
        &std::fs::read_to_string(Path::new(REPO).join("Cargo.toml")).expect("Cargo.toml"),
    )
    .expect("manifest");
    let release = manifest
        .get("profile")
        .and_then(|p| p.get("release"))
        .cloned()
        .unwrap_or_else(|| toml::Value::Table(toml::Table::new()));
    let dir = TempDir::new();
    let mut probe = toml::Table::new();
    probe.insert(
        "package".into(),
        toml::Value::Table(toml::toml! {
            name = "strip-probe"
            version = "0.1.0"
            edition = "2024"
        }),
    );
    let mut profile = toml::Table::new();
    profile.insert("release".into(), release);
    probe.insert("profile".into(), toml::Value::Table(profile));
    probe.insert("workspace".into(), toml::Value::Table(toml::Table::new()));
    std::fs::write(dir.path().join("Cargo.toml"), probe.to_string()).expect("probe manifest");
    std::fs::create_dir_all(dir.path().join("src")).expect("probe src");
    std::fs::write(
        dir.path().join("src/main.rs"),
        "fn main() {\n    println!(\"{}\", std::env::args().count());\n}\n",
    )
    .expect("probe main");
    let build = |env: &[(String, String)], target: &str| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut command = std::process::Command::new(cargo);
        command
            .args([
                "build",
                "--release",
                "--offline",
                "--quiet",
                "--target-dir",
                target,
            ])
            .current_dir(dir.path())
            .env_remove("CARGO_PROFILE_RELEASE_STRIP")
            .env_remove("RUSTFLAGS");
        for (key, value) in env {
            command.env(key, value);
        }
        let status = command.status().expect("cargo runs");
        assert!(status.success(), "the probe builds");
        std::fs::read(dir.path().join(target).join("release/strip-probe")).expect("probe binary")
    };
    let shipped = elf_sections(&build(&env, "stripped"));
    let plain = elf_sections(&build(&[], "plain"));
    // `.debug_gdb_scripts` is loaded data (a debugger hint), not debug information.
    let stripped = |sections: &[String]| {
        !sections
            .iter()
            .any(|s| s == ".symtab" || s == ".debug_info" || s == ".debug_line")
    };
    assert!(
        !stripped(&plain),
        "without it the binary has symbols and line tables: {plain:?}"
    );
    assert!(
        stripped(&shipped),
        "the shipped binary has no symbols or debug information: {shipped:?}"
    );
}

/// The section names of a 64-bit little-endian ELF file.
fn elf_sections(elf: &[u8]) -> Vec<String> {
    assert_eq!(
        &elf[..6],
        b"\x7fELF\x02\x01",
        "a 64-bit little-endian ELF file"
    );
    let u16_at = |at: usize| usize::from(u16::from_le_bytes([elf[at], elf[at + 1]]));
    let u64_at = |at: usize| {
        let bytes: [u8; 8] = elf[at..at + 8].try_into().expect("8 bytes");
        usize::try_from(u64::from_le_bytes(bytes)).expect("an offset in memory")
    };
    let (table, entry, count, names) = (u64_at(0x28), u16_at(0x3A), u16_at(0x3C), u16_at(0x3E));
    let header = |i: usize| table + i * entry;
    let strings = u64_at(header(names) + 0x18);
    (0..count)
        .map(|i| {
            let start = strings
                + u32::from_le_bytes(elf[header(i)..header(i) + 4].try_into().expect("4 bytes"))
                    as usize;
            let end = start + elf[start..].iter().position(|&b| b == 0).expect("a name");
            String::from_utf8_lossy(&elf[start..end]).into_owned()
        })
        .collect()
}

#[test]
fn the_runtime_stage_is_small_unprivileged_and_exposes_what_its_config_serves() {
    let image = image();
    let runtime = &image.runtime;
    assert!(runtime.image.ends_with("-slim"), "{}", runtime.image);
    let user = runtime.last("USER").expect("a USER");
    let name = user.split(':').next().unwrap_or(user);
    assert!(!["root", "0", ""].contains(&name), "non-root: {user}");
    assert!(
        runtime
            .all("RUN")
            .any(|run| run.contains("useradd") && run.contains("--uid")),
        "the user has a fixed uid"
    );
    assert_eq!(image.command[0], "volley", "the binary on PATH");
    assert_eq!(
        &image.command[1..],
        ["serve", "--config", &image.config_path]
    );
    assert_eq!(runtime.last("STOPSIGNAL").unwrap_or("SIGTERM"), "SIGTERM");

    let config = &image.config;
    let game = config.game.listen;
    let udp = config.game.udp_listen.unwrap_or(game);
    let control = config.control.listen;
    for addr in [game, udp, control] {
        assert!(
            addr.ip().is_unspecified(),
            "{addr}: reachable through published ports"
        );
    }
    let exposed: Vec<String> = runtime
        .all("EXPOSE")
        .flat_map(str::split_whitespace)
        .map(|port| {
            if port.contains('/') {
                port.to_owned()
            } else {
                format!("{port}/tcp")
            }
        })
        .collect();
    for port in [
        format!("{}/tcp", game.port()),
        format!("{}/udp", udp.port()),
        format!("{}/tcp", control.port()),
    ] {
        assert!(exposed.contains(&port), "EXPOSE {port}: {exposed:?}");
    }

    // The health check: `volley health` on the control listener's /health.
    let check = healthcheck_command(runtime.last("HEALTHCHECK").expect("a HEALTHCHECK"));
    assert_eq!(&check[..2], ["volley", "health"], "{check:?}");
    assert!(
        !check.contains(&"--ready".to_owned()),
        "/health, not /ready"
    );
    let endpoint = health_endpoint(&check);
    assert!(!endpoint.is_tls());
    assert_eq!(endpoint.host(), "127.0.0.1");
    assert_eq!(endpoint.port(), control.port());

    // Script data lands in a volume; the config stays outside it, to be mounted.
    let workdir = runtime.last("WORKDIR").expect("WORKDIR");
    let data_dir = Path::new(workdir).join(&config.scripts.data_dir);
    let volumes: Vec<String> = runtime.all("VOLUME").flat_map(volumes).collect();
    assert!(
        volumes.iter().any(|volume| data_dir.starts_with(volume)),
        "{} is in one of {volumes:?}",
        data_dir.display()
    );
    assert!(
        !volumes
            .iter()
            .any(|volume| Path::new(&image.config_path).starts_with(volume)),
        "the config is mounted on its own"
    );
}

#[test]
fn dockerignore_admits_what_the_build_copies_and_nothing_private() {
    let image = image();
    let text =
        std::fs::read_to_string(Path::new(REPO).join(".dockerignore")).expect(".dockerignore");
    let rules = dockerignore_rules(&text);
    let sources = image
        .build
        .all("COPY")
        .chain(image.runtime.all("COPY"))
        .map(copy_parts)
        .filter(|(from, _, _)| from.is_none())
        .flat_map(|(_, sources, _)| sources);
    for source in sources {
        assert!(Path::new(REPO).join(&source).exists(), "{source} exists");
        assert!(
            !ignored(&rules, &source),
            "{source} is in the build context"
        );
    }
    assert!(!ignored(&rules, "src/main.rs"));
    assert!(!ignored(&rules, "benches/core.rs"));
    for private in [
        "target",
        "target/release/volley",
        ".git",
        "data",
        "data/scripts/script-1/meta.json",
        "certs/server.key",
        "certs/ca.pem",
        ".venv",
        "tests/control/__pycache__",
    ] {
        assert!(
            ignored(&rules, private),
            "{private} stays out of the build context"
        );
    }
}

/// The `--endpoint` of a `volley health` command.
fn health_endpoint(command: &[String]) -> Endpoint {
    let at = command
        .iter()
        .position(|arg| arg == "--endpoint")
        .expect("--endpoint");
    Endpoint::parse(&command[at + 1]).expect("a URL")
}

/// The shipped config with its listeners moved to ephemeral loopback ports, every other
/// line as it is.
fn with_test_listeners(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let key = line.split('=').next().unwrap_or("").trim();
        if ["listen", "udp_listen"].contains(&key) {
            out.push_str(&format!("{key} = \"127.0.0.1:0\"\n"));
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// `volley` as the image runs it: a clean environment holding `env` (the Dockerfile's `ENV`
/// and `docker run -e`; paths rebased under `root`), in `workdir`, with `args` (absolute
/// paths rebased under `root`).
fn image_command(
    root: &Path,
    env: &[(String, String)],
    workdir: &Path,
    args: &[String],
) -> Command {
    let mut command = Command::new(VOLLEY);
    command.env_clear().current_dir(workdir).kill_on_drop(true);
    for (key, value) in env {
        let value = if value.starts_with('/') {
            rebase(root, value).to_string_lossy().into_owned()
        } else {
            value.clone()
        };
        command.env(key, value);
    }
    for arg in args {
        if arg.starts_with('/') {
            command.arg(rebase(root, arg));
        } else {
            command.arg(arg);
        }
    }
    command
}

#[tokio::test]
async fn the_runtime_stage_serves_checks_its_health_keeps_scripts_in_the_volume_and_stops_on_sigterm()
 {
    let image = image();
    let runtime = &image.runtime;
    let root = TempDir::new();

    // The mounted config, its listeners on ephemeral loopback ports for the test.
    let shipped = std::fs::read_to_string(&image.config_source).expect("shipped config");
    let mounted = with_test_listeners(&shipped);
    let mut expected = image.config.clone();
    let loopback = "127.0.0.1:0".parse().expect("address");
    expected.game.listen = loopback;
    expected.control.listen = loopback;
    assert_eq!(
        Config::parse(&mounted).expect("valid"),
        expected,
        "only the listeners changed"
    );
    let config_file = rebase(root.path(), &image.config_path);
    std::fs::create_dir_all(config_file.parent().expect("a directory")).expect("mkdir");
    std::fs::write(&config_file, mounted).expect("config mounted");
    let workdir = rebase(root.path(), runtime.last("WORKDIR").expect("WORKDIR"));
    std::fs::create_dir_all(&workdir).expect("the image has its WORKDIR");

    // `docker run -e VOLLEY_ACCESS_KEY_ID -e VOLLEY_SECRET_ACCESS_KEY`, as the README says.
    let mut env: Vec<(String, String)> = runtime.all("ENV").flat_map(env_pairs).collect();
    env.push(("VOLLEY_ACCESS_KEY_ID".into(), KEY_ID.into()));
    env.push(("VOLLEY_SECRET_ACCESS_KEY".into(), SECRET.into()));
    assert_eq!(image.command[0], "volley");
    let launch = {
        let (root, env, workdir) = (root.path().to_owned(), env.clone(), workdir.clone());
        let args = image.command[1..].to_vec();
        move || image_command(&root, &env, &workdir, &args)
    };
    let mut server = RealServer::spawn(launch).await;
    let control = server.control;

    // The HEALTHCHECK, aimed at the real port.
    let check = healthcheck_command(runtime.last("HEALTHCHECK").expect("HEALTHCHECK"));
    let shipped_endpoint = health_endpoint(&check);
    let check: Vec<String> = check
        .iter()
        .map(|arg| {
            arg.replace(
                &format!("127.0.0.1:{}", shipped_endpoint.port()),
                &control.to_string(),
            )
        })
        .collect();
    assert_eq!(check[0], "volley");
    assert!(
        check.iter().any(|arg| arg.contains(&control.to_string())),
        "{check:?}"
    );
    let health = within(
        "health check",
        image_command(root.path(), &env, &workdir, &check[1..]).output(),
    )
    .await
    .expect("volley health runs");
    assert_eq!(health.status.code(), Some(0), "{health:?}");

    // A script stored through the control API lands in the volume.
    let client = ControlClient::new(
        Endpoint::from_addr(control, false),
        ClientOptions {
            credentials: Some(Credentials {
                access_key_id: KEY_ID.into(),
                secret_access_key: Secret::new(SECRET),
                region: "us-east-1".into(),
            }),
            ..ClientOptions::default()
        },
    )
    .expect("client");
    let zip = support::zip(&[("index.js", "exports.ssExports = {};\n")]);
    let input = CreateScriptInput {
        name: Some("docker".into()),
        zip_file: Some(Blob(zip)),
        ..CreateScriptInput::default()
    };
    let created = within("create script", client.send(&input))
        .await
        .expect("script stored");
    let id = created.script.script_id.as_str();
    let volume = rebase(
        root.path(),
        &runtime
            .all("VOLUME")
            .flat_map(volumes)
            .next()
            .expect("VOLUME"),
    );
    let stored = workdir
        .join(&image.config.scripts.data_dir)
        .join("scripts")
        .join(id)
        .join("meta.json");
    assert!(stored.is_file(), "{} exists", stored.display());
    assert!(
        stored.starts_with(&volume),
        "{} is in the volume",
        stored.display()
    );

    // `docker stop`: SIGTERM, then a clean exit.
    server.signal("TERM");
    let status = server.exited_within(Duration::from_secs(30)).await;
    let logs = server.stderr_so_far().join("\n");
    assert_eq!(status.code(), Some(0), "{logs}");
    assert!(!logs.contains(SECRET), "secrets stay out of the logs");
}
