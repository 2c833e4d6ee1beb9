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

/// What an output folder holds before perfplan writes to it, read and checked before
/// anything changes.
enum Existing {
    /// Nothing there yet.
    Absent,
    /// An empty folder, or one holding only the files its marker lists (`owned`).
    Replaceable { owned: Vec<String> },
    /// A folder that also holds files perfplan did not write: only `--force` writes there.
    Foreign {
        owned: Vec<String>,
        foreign: Vec<String>,
    },
}

/// Write `files` (name, content) as the folder `dir`, replacing an earlier bundle.
/// With `force`, a folder holding files perfplan did not write is accepted too:
/// perfplan's files are written into it one by one (each atomically), stale files
/// of its earlier bundle removed, and every other file left exactly as it was.
///
/// One rule for both: the folder itself must be a real folder (never a symbolic
/// link), and its marker must list only plain files inside it; anything else is
/// refused before a single file is written or removed.
pub fn write_folder_with(dir: &Path, files: &[(String, String)], force: bool) -> Result<(), String> {
    let shown = dir.display();
    match inspect(dir)? {
        Existing::Absent => write_fresh(dir, files, &[]),
        Existing::Replaceable { owned } => write_fresh(dir, files, &owned),
        Existing::Foreign { owned, .. } if force => {
            check_in_place_targets(dir, files)?;
            write_in_place(dir, files, &owned)
                .map_err(|e| format!("cannot write the bundle to `{shown}`: {e}"))
        }
        Existing::Foreign { foreign, .. } => Err(foreign_error(dir, &foreign)),
    }
}

/// Write `files` (name, content) as the folder `dir`, replacing an earlier bundle.
pub fn write_folder(dir: &Path, files: &[(String, String)]) -> Result<(), String> {
    write_folder_with(dir, files, false)
}

/// Write perfplan's files into a folder that also holds other files; `owned` are
/// the checked entries of its earlier marker.
fn write_in_place(dir: &Path, files: &[(String, String)], owned: &[String]) -> io::Result<()> {
    let stale: Vec<String> = owned
        .iter()
        .filter(|old| !files.iter().any(|(name, _)| name == *old))
        .cloned()
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
    remove_files(dir, &stale)?;
    let tmp = dir.join(format!(".{MARKER}.perfplan-new-{}", std::process::id()));
    fs::write(&tmp, marker(files))?;
    fs::rename(tmp, dir.join(MARKER))
}

/// With `--force`, every path perfplan writes must be a plain file or absent, in a
/// real folder: a link there would carry the write outside `dir`, and a folder in its
/// place would fail half-way.
fn check_in_place_targets(dir: &Path, files: &[(String, String)]) -> Result<(), String> {
    let problems: Vec<String> = files
        .iter()
        .filter_map(|(name, _)| entry_on_disk(dir, name).err())
        .collect();
    if problems.is_empty() {
        return Ok(());
    }
    Err(format!(
        "cannot write the bundle into `{}` with --force: {}; perfplan changed nothing. Move those out of the way \
         or choose another folder",
        dir.display(),
        problems.join("; ")
    ))
}

/// Write the bundle through a staging folder renamed into place; `owned` are the
/// checked entries of the earlier bundle, if any.
fn write_fresh(dir: &Path, files: &[(String, String)], owned: &[String]) -> Result<(), String> {
    let shown = dir.display();
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let base = dir
        .file_name()
        .ok_or_else(|| format!("`{shown}` does not name a folder; give the bundle folder's own name"))?
        .to_string_lossy()
        .into_owned();
    fs::create_dir_all(&parent).map_err(|e| format!("cannot create `{}`: {e}", parent.display()))?;
    let pid = std::process::id();
    let staging = parent.join(format!(".{base}.perfplan-new-{pid}"));
    let result = stage(&staging, files).and_then(|()| {
        swap(
            dir,
            &staging,
            &parent.join(format!(".{base}.perfplan-old-{pid}")),
            owned,
        )
    });
    if result.is_err() {
        let _ = fs::remove_dir_all(&staging);
    }
    result.map_err(|e| format!("cannot write the bundle to `{shown}`: {e}"))
}

/// Read what `dir` holds and refuse what perfplan must not touch.
fn inspect(dir: &Path) -> Result<Existing, String> {
    let shown = dir.display();
    let meta = match fs::symlink_metadata(dir) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Existing::Absent),
        Err(e) => return Err(format!("cannot read `{shown}`: {e}")),
    };
    if meta.file_type().is_symlink() {
        let points_to = fs::read_link(dir)
            .map(|t| format!(" (it points to `{}`)", t.display()))
            .unwrap_or_default();
        return Err(format!(
            "`{shown}` is a symbolic link{points_to}; perfplan writes a bundle only into a real folder, so a link \
             cannot send it elsewhere. Pass the folder itself with -o"
        ));
    }
    if !meta.is_dir() {
        return Err(format!(
            "`{shown}` exists and is not a folder; choose a folder for the bundle"
        ));
    }
    let owned = read_marker(dir)?;
    let mut foreign = Vec::new();
    foreign_files(dir, "", &owned, &mut foreign).map_err(|e| format!("cannot read `{shown}`: {e}"))?;
    foreign.sort();
    Ok(if foreign.is_empty() {
        Existing::Replaceable { owned }
    } else {
        Existing::Foreign { owned, foreign }
    })
}

/// The refusal for a folder holding files perfplan did not write.
fn foreign_error(dir: &Path, foreign: &[String]) -> String {
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
    format!(
        "`{}` holds files perfplan did not write ({listed}{more}); perfplan replaces only an empty \
         folder or one it wrote itself, so nothing of yours is lost. Choose another folder, move those files, or \
         pass --force to write perfplan's files among them (yours are left untouched)",
        dir.display()
    )
}

/// The marker's entries, every one checked: a marker is input like a plan (it may
/// come from a repository), and perfplan removes what it lists. An entry must be a
/// plain file name or `folder/file` (a region's bundle), and on disk a plain file or
/// absent, in a real folder. One bad entry refuses the whole folder before any change.
fn read_marker(dir: &Path) -> Result<Vec<String>, String> {
    let path = dir.join(MARKER);
    match fs::symlink_metadata(&path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("cannot read `{}`: {e}", path.display())),
        Ok(m) if !m.is_file() => {
            return Err(format!(
                "`{}` is not a plain file (a link or a folder); perfplan trusts only a marker it wrote. Remove it \
                 if the folder is yours",
                path.display()
            ));
        }
        Ok(_) => {}
    }
    let text = fs::read_to_string(&path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    let entries: Vec<String> = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(str::to_owned)
        .collect();
    let problems: Vec<String> = entries
        .iter()
        .filter_map(|entry| {
            check_entry_name(entry)
                .and_then(|()| entry_on_disk(dir, entry))
                .err()
        })
        .collect();
    if problems.is_empty() {
        return Ok(entries);
    }
    Err(format!(
        "`{}` does not look like a marker perfplan wrote: {}; perfplan changed nothing. Its entries must be plain \
         file names in the folder (or `region/file`). Delete the marker if the folder is yours, or choose another folder",
        path.display(),
        problems.join("; ")
    ))
}

/// An entry's text: one or two plain path components, none hidden, `..` or empty.
fn check_entry_name(entry: &str) -> Result<(), String> {
    let parts: Vec<&str> = entry.split('/').collect();
    let plain =
        |p: &&str| !p.is_empty() && !p.starts_with('.') && !p.chars().any(|c| c == '\\' || c.is_control());
    if parts.len() <= 2 && parts.iter().all(plain) {
        Ok(())
    } else {
        Err(format!(
            "it lists `{}`, which is not a file name inside the folder",
            entry.escape_debug()
        ))
    }
}

/// An entry on disk: absent or a plain file, and its region folder (if any) absent or
/// a real folder, so removing or replacing it never reaches through a link.
fn entry_on_disk(dir: &Path, entry: &str) -> Result<(), String> {
    if let Some((folder, _)) = entry.split_once('/') {
        match fs::symlink_metadata(dir.join(folder)) {
            Ok(m) if !m.is_dir() => {
                return Err(format!(
                    "`{folder}` (for `{entry}`) is not a real folder but a link or a file"
                ));
            }
            _ => {}
        }
    }
    match fs::symlink_metadata(dir.join(entry)) {
        Ok(m) if !m.is_file() => Err(format!(
            "`{entry}` is a folder or a link, not a file perfplan wrote"
        )),
        _ => Ok(()),
    }
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
/// `owned`, as checked) is moved aside first and removed last.
fn swap(dir: &Path, staging: &Path, old: &Path, owned: &[String]) -> io::Result<()> {
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
    remove_files(old, owned)?;
    let _ = fs::remove_file(old.join(MARKER));
    fs::remove_dir(old)
}

/// Remove perfplan's own (checked) files from `dir`, then the region folders they
/// emptied; a folder that still holds something stays.
fn remove_files(dir: &Path, files: &[String]) -> io::Result<()> {
    for name in files {
        match fs::remove_file(dir.join(name)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    prune_empty_parents(dir, files);
    Ok(())
}
