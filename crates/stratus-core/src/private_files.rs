//! Files only this user may read: the data dir and its folders are `0700`,
//! databases and exports `0600` whatever the umask, and exports are always
//! new files, never written over an existing one. (Modes are Unix-only; on
//! other systems the user's profile folder already keeps others out.)

use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

/// Mode of folders under the data dir.
pub const DIR_MODE: u32 = 0o700;
/// Mode of databases, their WAL/SHM files and exports.
pub const FILE_MODE: u32 = 0o600;

/// Creates `dir` (and missing parents) as `0700`, and tightens `dir` itself
/// if it already existed with a looser mode (installs made before this rule).
pub fn private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, DIR_MODE);
    builder.create(dir)?;
    set_mode(dir, DIR_MODE)
}

/// Sets `path` to `0600` if it exists (a missing file is fine).
pub fn restrict_file(path: &Path) -> io::Result<()> {
    match set_mode(path, FILE_MODE) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

/// Creates `path` as a new `0600` file; fails with `AlreadyExists` rather
/// than truncate or follow whatever is there (a file, a link).
pub fn create_new(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, FILE_MODE);
    // `create_new` is O_CREAT|O_EXCL: it never opens an existing name, not
    // even a dangling symlink.
    let file = options.open(path)?;
    // The umask may have taken bits away, never added; make it exact.
    #[cfg(unix)]
    file.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(FILE_MODE))?;
    Ok(file)
}

/// A new, uniquely named `.part` file in `dir` to write an export into
/// before [`publish`] gives it its final name.
pub fn create_part(dir: &Path, stem: &str) -> io::Result<(PathBuf, File)> {
    let path = dir.join(format!(".{stem}-{}.part", uuid::Uuid::now_v7().simple()));
    let file = create_new(&path)?;
    Ok((path, file))
}

/// Gives the finished `part` the first free name of `dir/<stem>.<ext>`,
/// `<stem>-2.<ext>`, `<stem>-3.<ext>`…, without ever replacing an existing
/// file (a hard link fails on a taken name), then removes the `.part` name.
pub fn publish(part: &Path, dir: &Path, stem: &str, ext: &str) -> io::Result<PathBuf> {
    for n in 1u32.. {
        let name = if n == 1 {
            format!("{stem}.{ext}")
        } else {
            format!("{stem}-{n}.{ext}")
        };
        let path = dir.join(name);
        match std::fs::hard_link(part, &path) {
            Ok(()) => {
                std::fs::remove_file(part)?;
                return Ok(path);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other("no free file name"))
}

/// A file-name-safe version of `label`: anything but ASCII letters, digits,
/// `-` and `_` becomes `-` (so a name from the UI cannot name a path).
pub fn safe_stem(label: &str) -> String {
    label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(path: &Path, _mode: u32) -> io::Result<()> {
    std::fs::metadata(path).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_new_file_never_replaces_an_existing_one() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join(".bashrc");
        std::fs::write(&victim, "keep me").unwrap();
        let err = create_new(&victim).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");
    }

    #[cfg(unix)]
    #[test]
    fn a_new_file_is_not_created_through_a_dangling_link() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("elsewhere");
        let link = dir.path().join("export.csv");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert!(create_new(&link).is_err());
        assert!(!target.exists());
    }

    #[test]
    fn publishing_takes_the_next_free_name_and_leaves_no_part() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("report.csv"), "older").unwrap();
        let (part, file) = create_part(dir.path(), "report").unwrap();
        std::io::Write::write_all(&mut &file, b"new").unwrap();
        let path = publish(&part, dir.path(), "report", "csv").unwrap();
        assert_eq!(path, dir.path().join("report-2.csv"));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(
            std::fs::read_to_string(dir.path().join("report.csv")).unwrap(),
            "older"
        );
        assert!(!part.exists());
    }

    #[cfg(unix)]
    #[test]
    fn folders_are_0700_and_files_0600_whatever_they_were() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir(&data).unwrap();
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
        private_dir(&data.join("exports")).unwrap();
        private_dir(&data).unwrap();
        assert_eq!(mode(&data), 0o700);
        assert_eq!(mode(&data.join("exports")), 0o700);
        let file = data.join("exports/a.csv");
        drop(create_new(&file).unwrap());
        assert_eq!(mode(&file), 0o600);
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        restrict_file(&file).unwrap();
        assert_eq!(mode(&file), 0o600);
        restrict_file(&data.join("missing")).unwrap();
    }

    #[test]
    fn stems_cannot_name_a_path() {
        assert_eq!(safe_stem("../../.bashrc"), "-------bashrc");
        assert_eq!(safe_stem("campaign-01_x"), "campaign-01_x");
    }
}
