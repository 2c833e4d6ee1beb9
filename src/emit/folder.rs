//! Writing a bundle folder without ever losing what the user had.
//!
//! The new bundle is written into a temporary sibling folder and renamed into place,
//! so an interrupted compile never leaves a half-written bundle. An existing folder
//! is replaced only if it is empty or perfplan wrote it (a marker file lists the
//! files perfplan owns) and it holds nothing else; stale files of an earlier compile
//! go with it, and anything perfplan did not write makes it refuse.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// The marker file: which files in the folder perfplan wrote.
pub const MARKER: &str = ".perfplan-bundle";

/// Write `files` (name, content) as the folder `dir`, replacing an earlier bundle.
/// With `force`, a folder holding files perfplan did not write is accepted too:
/// perfplan's files are written into it one by one (each atomically), stale files
/// of its earlier bundle removed, and every other file left exactly as it was.
pub fn write_folder_with(dir: &Path, files: &[(String, String)], force: bool) -> Result<(), String> {
    if force && check_replaceable(dir).is_err() && dir.is_dir() {
        return write_in_place(dir, files)
            .map_err(|e| format!("cannot write the bundle to `{}`: {e}", dir.display()));
    }
    write_folder(dir, files)
}

/// Write perfplan's files into a folder that also holds other files.
fn write_in_place(dir: &Path, files: &[(String, String)]) -> io::Result<()> {
    let stale: Vec<String> = owned_files(dir)
        .into_iter()
        .filter(|old| !files.iter().any(|(name, _)| name == old))
        .collect();
    for (name, content) in files {
        let target = dir.join(name);
        let file_name = target
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = target.with_file_name(format!(".{file_name}.perfplan-new-{}", std::process::id()));
        write_file(&tmp, content)?;
        fs::rename(&tmp, &target)?;
    }
    for name in &stale {
        match fs::remove_file(dir.join(name)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    prune_empty_parents(dir, &stale);
    let tmp = dir.join(format!(".{MARKER}.perfplan-new-{}", std::process::id()));
    fs::write(&tmp, marker(files))?;
    fs::rename(tmp, dir.join(MARKER))
}

/// Write `files` (name, content) as the folder `dir`, replacing an earlier bundle.
pub fn write_folder(dir: &Path, files: &[(String, String)]) -> Result<(), String> {
    let shown = dir.display();
    check_replaceable(dir)?;
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).map_err(|e| format!("cannot create `{}`: {e}", parent.display()))?;
    let base = dir
        .file_name()
        .ok_or_else(|| format!("`{shown}` does not name a folder"))?
        .to_string_lossy()
        .into_owned();
    let pid = std::process::id();
    let staging = parent.join(format!(".{base}.perfplan-new-{pid}"));
    let result = stage(&staging, files)
        .and_then(|()| swap(dir, &staging, &parent.join(format!(".{base}.perfplan-old-{pid}"))));
    if result.is_err() {
        let _ = fs::remove_dir_all(&staging);
    }
    result.map_err(|e| format!("cannot write the bundle to `{shown}`: {e}"))
}

/// Refuse a folder that holds anything perfplan did not write.
fn check_replaceable(dir: &Path) -> Result<(), String> {
    let shown = dir.display();
    let meta = match fs::symlink_metadata(dir) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(format!("cannot read `{shown}`: {e}")),
    };
    if !meta.is_dir() {
        return Err(format!(
            "`{shown}` exists and is not a folder; choose a folder for the bundle"
        ));
    }
    let owned = owned_files(dir);
    let mut foreign = Vec::new();
    foreign_files(dir, "", &owned, &mut foreign).map_err(|e| format!("cannot read `{shown}`: {e}"))?;
    foreign.sort();
    if foreign.is_empty() {
        return Ok(());
    }
    let listed = foreign
        .iter()
        .take(5)
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let more = if foreign.len() > 5 {
        format!(" and {} more", foreign.len() - 5)
    } else {
        String::new()
    };
    Err(format!(
        "`{shown}` holds files perfplan did not write ({listed}{more}); perfplan replaces only an empty \
         folder or one it wrote itself, so nothing of yours is lost. Choose another folder, move those files, or \
         pass --force to write perfplan's files among them (yours are left untouched)"
    ))
}

/// Files under `dir` (paths relative to the bundle folder, `/`-separated) that the
/// marker does not list. A folder counts by its files, so a region's subfolder of
/// perfplan's files is perfplan's.
fn foreign_files(dir: &Path, prefix: &str, owned: &[String], out: &mut Vec<String>) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
        if entry.file_type()?.is_dir() {
            let inner = format!("{name}/");
            if owned.iter().any(|o| o.starts_with(&inner)) {
                foreign_files(&entry.path(), &inner, owned, out)?;
                continue;
            }
        }
        if name != MARKER && !owned.contains(&name) {
            out.push(name);
        }
    }
    Ok(())
}

/// Remove the now empty folders that held `files` (deepest first); folders that
/// still hold something stay.
fn prune_empty_parents(dir: &Path, files: &[String]) {
    let mut parents: Vec<&str> = files
        .iter()
        .filter_map(|f| f.rsplit_once('/').map(|(p, _)| p))
        .collect();
    parents.sort_by_key(|p| std::cmp::Reverse(p.matches('/').count()));
    parents.dedup();
    for p in parents {
        let _ = fs::remove_dir(dir.join(p));
    }
}

/// Write one file of a bundle, creating its region subfolder if it has one.
fn write_file(path: &Path, content: &str) -> io::Result<()> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)?;
    }
    fs::write(path, content)
}

/// The marker's text: a header line, then the name of every file perfplan writes.
fn marker(files: &[(String, String)]) -> String {
    let mut text = String::from("# Written by perfplan: the files it owns in this folder.\n");
    for (name, _) in files {
        text.push_str(name);
        text.push('\n');
    }
    text
}

/// The files the marker says perfplan wrote; none without a marker.
fn owned_files(dir: &Path) -> Vec<String> {
    fs::read_to_string(dir.join(MARKER))
        .map(|text| {
            text.lines()
                .filter(|l| !l.starts_with('#') && !l.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn stage(staging: &Path, files: &[(String, String)]) -> io::Result<()> {
    if staging.exists() {
        fs::remove_dir_all(staging)?;
    }
    fs::create_dir(staging)?;
    for (name, content) in files {
        debug_assert!(!name.starts_with('.') && !name.split('/').any(|c| c.is_empty() || c == ".."));
        write_file(&staging.join(name), content)?;
    }
    fs::write(staging.join(MARKER), marker(files))
}

/// Put the staged folder in place of `dir`; the old bundle (perfplan's files only,
/// as checked) is moved aside first and removed last.
fn swap(dir: &Path, staging: &Path, old: &Path) -> io::Result<()> {
    if !dir.exists() {
        return fs::rename(staging, dir);
    }
    if old.exists() {
        fs::remove_dir_all(old)?;
    }
    fs::rename(dir, old)?;
    if let Err(e) = fs::rename(staging, dir) {
        // Put the earlier bundle back.
        let _ = fs::rename(old, dir);
        return Err(e);
    }
    remove_owned(old)
}

/// Remove a folder that holds only perfplan's files (checked before the swap).
fn remove_owned(dir: &Path) -> io::Result<()> {
    let owned = owned_files(dir);
    for name in &owned {
        match fs::remove_file(dir.join(name)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    prune_empty_parents(dir, &owned);
    let _ = fs::remove_file(dir.join(MARKER));
    fs::remove_dir(dir)
}
