//! Finding every generator's result files under a results folder.
//!
//! The folder holds what the pods wrote under `/results`: one subfolder per pod (a
//! PersistentVolumeClaim mounted with `subPathExpr: $(POD_NAME)`, or copied out with
//! `kubectl cp`), or the files themselves. The walk is bounded in depth and never
//! follows a symbolic link, so a link cannot loop it or lead it out of the folder.

use crate::spec::Tool;
use std::path::{Path, PathBuf};

/// How deep below the results folder files are looked for: a pod folder, Gatling's
/// run folder, and room for a region or a `kubectl cp` of a parent folder.
pub const MAX_DEPTH: usize = 6;

/// One result file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub path: PathBuf,
    /// The path relative to the results folder, `/`-separated.
    pub relative: String,
    pub tool: Tool,
    /// Which generator wrote it: the folder it is in, relative to the results folder
    /// (for JMeter, the name of samples whose worker the file does not record).
    pub generator: String,
}

/// Every file name each tool's results are found under.
pub fn file_names(tool: Tool) -> &'static [&'static str] {
    match tool {
        Tool::K6 => &super::k6::FILE_NAMES,
        Tool::Jmeter => &super::jmeter::FILE_NAMES,
        Tool::Gatling => &super::gatling::FILE_NAMES,
    }
}

/// Every result file under `dir`, sorted by path.
pub fn discover(dir: &Path) -> std::io::Result<Vec<Found>> {
    let mut found = Vec::new();
    walk(dir, &mut Vec::new(), &mut found)?;
    found.sort_by(|a, b| a.relative.cmp(&b.relative));
    name_gatling_runners(&mut found);
    Ok(found)
}

fn walk(dir: &Path, parts: &mut Vec<String>, found: &mut Vec<Found>) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for entry in entries {
        // DirEntry::file_type does not follow symbolic links.
        let kind = entry.file_type()?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if kind.is_dir() && parts.len() < MAX_DEPTH {
            parts.push(name);
            walk(&entry.path(), parts, found)?;
            parts.pop();
        } else if kind.is_file()
            && let Some(tool) = Tool::ALL
                .into_iter()
                .find(|t| file_names(*t).contains(&name.as_str()))
        {
            let folder = parts.join("/");
            let relative = if folder.is_empty() {
                name.clone()
            } else {
                format!("{folder}/{name}")
            };
            let generator = if folder.is_empty() { name } else { folder };
            found.push(Found {
                path: entry.path(),
                relative,
                tool,
                generator,
            });
        }
    }
    Ok(())
}

/// A Gatling runner writes `<pod>/<simulation>-<timestamp>/simulation.log`: the
/// runner is the pod folder. The run folder stays in the name where it is all
/// there is, or where one pod holds several runs (each is then its own generator).
fn name_gatling_runners(found: &mut [Found]) {
    let pod = |f: &Found| {
        f.generator
            .rsplit_once('/')
            .map(|(pod, _)| pod.to_owned())
            .unwrap_or_else(|| f.generator.clone())
    };
    let gatling: Vec<String> = found
        .iter()
        .filter(|f| f.tool == Tool::Gatling)
        .map(pod)
        .collect();
    let unique = {
        let mut sorted = gatling.clone();
        sorted.sort();
        sorted.windows(2).all(|w| w[0] != w[1])
    };
    if unique {
        for (f, name) in found.iter_mut().filter(|f| f.tool == Tool::Gatling).zip(gatling) {
            f.generator = name;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(root: &Path, path: &str) {
        let p = root.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, "").unwrap();
    }

    #[test]
    fn pods_folders_name_the_generators() {
        let dir = tempfile::tempdir().unwrap();
        touch(dir.path(), "k6-runner-1/samples.csv.gz");
        touch(dir.path(), "k6-runner-0/samples.csv");
        touch(dir.path(), "k6-runner-0/summary.json");
        touch(dir.path(), "g-0/sim-20261201/simulation.log");
        touch(dir.path(), "g-1/sim-20261201/simulation.log");
        touch(dir.path(), "results.jtl");
        touch(dir.path(), "a/b/c/d/e/f/g/samples.csv");
        let found = discover(dir.path()).unwrap();
        let names: Vec<_> = found
            .iter()
            .map(|f| (f.relative.as_str(), f.generator.as_str()))
            .collect();
        assert_eq!(
            names,
            [
                ("g-0/sim-20261201/simulation.log", "g-0"),
                ("g-1/sim-20261201/simulation.log", "g-1"),
                ("k6-runner-0/samples.csv", "k6-runner-0"),
                ("k6-runner-1/samples.csv.gz", "k6-runner-1"),
                ("results.jtl", "results.jtl"),
            ],
            "deeper than {MAX_DEPTH} folders is not looked at"
        );
    }

    #[test]
    fn two_runs_in_one_pod_are_two_generators() {
        let dir = tempfile::tempdir().unwrap();
        touch(dir.path(), "g-0/sim-1/simulation.log");
        touch(dir.path(), "g-0/sim-2/simulation.log");
        let found = discover(dir.path()).unwrap();
        let names: Vec<_> = found.iter().map(|f| f.generator.as_str()).collect();
        assert_eq!(names, ["g-0/sim-1", "g-0/sim-2"]);
    }

    #[cfg(unix)]
    #[test]
    fn symbolic_links_are_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        touch(outside.path(), "samples.csv");
        std::os::unix::fs::symlink(outside.path(), dir.path().join("elsewhere")).unwrap();
        std::os::unix::fs::symlink(dir.path(), dir.path().join("loop")).unwrap();
        std::os::unix::fs::symlink(outside.path().join("samples.csv"), dir.path().join("samples.csv"))
            .unwrap();
        assert_eq!(discover(dir.path()).unwrap(), []);
    }
}
