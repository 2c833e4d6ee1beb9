//! Semantic rules for `script:`: the file exists inside the plan's folder, is text,
//! fits a ConfigMap, and is a script of the plan's tool.

use super::Ctx;
use crate::diag::{Diagnostic, codes};
use crate::model;
use crate::names::content_hash;
use crate::spec::{Script, Tool};
use std::path::{Component, Path};

/// A ConfigMap holds at most 1 MiB in total; leave room for its metadata.
pub const MAX_SCRIPT_BYTES: u64 = 1_000_000;

/// Extensions each tool runs.
pub fn extensions(tool: Tool) -> &'static [&'static str] {
    match tool {
        Tool::Jmeter => &["jmx"],
        Tool::K6 => &["js", "mjs", "cjs", "ts"],
        Tool::Gatling => &["scala", "java", "kt"],
    }
}

pub(super) fn check(ctx: &mut Ctx, script: &Script, tool: Tool) -> Option<model::Script> {
    match script {
        Script::File(path) => file(ctx, path, tool),
        Script::ConfigMap(existing) => {
            extension(ctx, &["script", "key"], &existing.key, tool)?;
            Some(model::Script::Existing {
                config_map: existing.config_map.0.clone(),
                key: existing.key.clone(),
            })
        }
    }
}

/// Whether a relative path climbs above its starting folder at any point: `a/../b.js`
/// stays inside, `../b.js` and `a/../../b.js` do not. (Links are checked on disk.)
fn leaves_folder(path: &Path) -> bool {
    let mut depth = 0i64;
    for c in path.components() {
        match c {
            Component::ParentDir => depth -= 1,
            Component::Normal(_) => depth += 1,
            Component::Prefix(_) | Component::RootDir => return true,
            Component::CurDir => {}
        }
        if depth < 0 {
            return true;
        }
    }
    false
}

fn file(ctx: &mut Ctx, path_text: &str, tool: Tool) -> Option<model::Script> {
    let span = ctx.span(&["script"]);
    let path = Path::new(path_text);
    if path.is_absolute() || leaves_folder(path) {
        ctx.push(
            Diagnostic::error(codes::SCRIPT_OUTSIDE_PLAN, span, format!("`{path_text}` leaves the plan's folder"))
                .label("outside the plan's folder")
                .help("keep the script in the plan's folder or below it and write its path relative to the plan, never above it with `..`"),
        );
        return None;
    }
    let dir = ctx.source().dir.clone();
    // A folder is not a script of the wrong kind: say what it is before the extension.
    if dir.join(path).is_dir() {
        ctx.push(
            Diagnostic::error(
                codes::SCRIPT_MISSING,
                span,
                format!("`{path_text}` is a folder, not a script file"),
            )
            .label("a folder")
            .help(format!(
                "name the script file itself, e.g. `{}/test.{}`",
                path_text.trim_end_matches('/'),
                extensions(tool)[0]
            )),
        );
        return None;
    }
    extension(ctx, &["script"], path_text, tool)?;
    let full = dir.join(path);
    // Symlinks could still lead out of the folder: compare resolved paths.
    let resolved = full.canonicalize().ok();
    let inside = match (&resolved, dir.canonicalize()) {
        (Some(r), Ok(d)) => r.starts_with(d),
        _ => true,
    };
    if !inside {
        ctx.push(
            Diagnostic::error(
                codes::SCRIPT_OUTSIDE_PLAN,
                span,
                format!("`{path_text}` resolves (through a link) outside the plan's folder"),
            )
            .label("outside the plan's folder")
            .help("copy the script into the plan's folder instead of linking to it"),
        );
        return None;
    }
    let file_name = path.file_name()?.to_string_lossy().into_owned();
    if !valid_config_map_key(&file_name) {
        ctx.push(
            Diagnostic::error(
                codes::SCRIPT_FILE_NAME,
                span,
                format!("`{file_name}` cannot be a ConfigMap key, so the script cannot be embedded"),
            )
            .label("file name with characters a ConfigMap key may not hold")
            .help("rename the file using only letters, digits, `-`, `_` and `.` (at most 253 characters)"),
        );
        return None;
    }
    let missing = |ctx: &mut Ctx, why: String| {
        ctx.push(
            Diagnostic::error(
                codes::SCRIPT_MISSING,
                span,
                format!("cannot read script `{path_text}`: {why}"),
            )
            .label("script not found")
            .help(format!(
                "the path is relative to the plan's folder ({}); check the spelling",
                display_dir(&dir)
            )),
        );
        None
    };
    let meta = match std::fs::metadata(&full) {
        Ok(m) if m.is_file() => m,
        Ok(_) => return missing(ctx, "it is a folder, not a file".to_owned()),
        Err(e) => return missing(ctx, io_reason(&e)),
    };
    if meta.len() > MAX_SCRIPT_BYTES {
        ctx.push(
            Diagnostic::error(codes::SCRIPT_TOO_LARGE, span, format!("script `{path_text}` is {} bytes; a ConfigMap holds at most {MAX_SCRIPT_BYTES}", meta.len()))
                .label("too large for a ConfigMap")
                .help("put the script in a ConfigMap yourself (or bake it into the image) and reference it with `script: {configMap: NAME, key: FILE}`"),
        );
        return None;
    }
    let bytes = match std::fs::read(&full) {
        Ok(b) => b,
        Err(e) => return missing(ctx, io_reason(&e)),
    };
    let Ok(content) = String::from_utf8(bytes) else {
        ctx.push(
            Diagnostic::error(
                codes::SCRIPT_NOT_TEXT,
                span,
                format!("script `{path_text}` is not UTF-8 text"),
            )
            .label("not a text file")
            .help("save the script as UTF-8"),
        );
        return None;
    };
    Some(model::Script::Inline {
        hash: content_hash(&content),
        file_name,
        content,
    })
}

/// ConfigMap keys: `[-._a-zA-Z0-9]+`, at most 253 characters.
fn valid_config_map_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 253
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn extension(ctx: &mut Ctx, path: &[&str], name: &str, tool: Tool) -> Option<()> {
    let allowed = extensions(tool);
    let ext = Path::new(name).extension().and_then(|e| e.to_str()).unwrap_or("");
    if allowed.contains(&ext) {
        return Some(());
    }
    let list: Vec<String> = allowed.iter().map(|e| format!(".{e}")).collect();
    let other = Tool::ALL.into_iter().find(|t| extensions(*t).contains(&ext));
    let mut help = format!("{} runs {} files", tool.as_str(), list.join(", "));
    if let Some(other) = other {
        help.push_str(&format!(
            "; a .{ext} file is a {} script: is `tool` right?",
            other.as_str()
        ));
    }
    ctx.push(
        Diagnostic::error(
            codes::SCRIPT_EXTENSION,
            ctx.span(path),
            format!("`{name}` is not a {} script", tool.as_str()),
        )
        .label(format!("expected {}", list.join(" or ")))
        .help(help),
    );
    None
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => e.to_string(),
    }
}

fn display_dir(dir: &Path) -> String {
    let s = dir.display().to_string();
    if s.is_empty() { ".".to_owned() } else { s }
}
