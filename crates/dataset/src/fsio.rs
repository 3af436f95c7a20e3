//! Writing files so that a reader never sees half of one: the bytes go to a uniquely named file in
//! the same folder, are flushed to disk, and the file is renamed over the target. A folder of
//! several files is written the same way (files synced, then the folder renamed into place).
use jointscope_data::DataError;
use std::io::Write as _;
use std::path::{Path, PathBuf};

fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// `f` of every job on up to 8 threads (job `i` on thread `i mod threads`), the results in job
/// order; `progress(done, total)` after each. Each job's result depends only on the job, so the
/// output does not depend on the number of threads.
pub fn parallel_map<J: Sync, T: Send>(jobs: &[J], progress: &(dyn Fn(usize, usize) + Sync), f: impl Fn(&J) -> T + Sync) -> Vec<T> {
    let done = std::sync::atomic::AtomicUsize::new(0);
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).min(8);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (done, f) = (&done, &f);
                s.spawn(move || {
                    let mut out = Vec::new();
                    for (i, job) in jobs.iter().enumerate().filter(|(i, _)| i % threads == t) {
                        out.push((i, f(job)));
                        progress(done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1, jobs.len());
                    }
                    out
                })
            })
            .collect();
        let mut all: Vec<(usize, T)> = handles.into_iter().flat_map(|h| h.join().expect("a worker thread panicked")).collect();
        all.sort_by_key(|(i, _)| *i);
        all.into_iter().map(|(_, r)| r).collect()
    })
}

fn werr(path: &Path, e: impl std::fmt::Display) -> DataError {
    DataError::Write { path: path.into(), reason: e.to_string() }
}

/// Write `bytes` to `path` atomically (creating its folder).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), DataError> {
    write_atomic_all(&[(path, bytes)])
}

/// Write several files atomically together: every one is written in full to a temporary file
/// beside it first, and only then are they renamed into place, so a write that fails (a full disk)
/// replaces none of them — weights never sit beside another export's sidecar.
pub fn write_atomic_all(files: &[(&Path, &[u8])]) -> Result<(), DataError> {
    let written = files.iter().map(|(path, bytes)| written_beside(path, bytes)).collect::<Result<Vec<_>, _>>()?;
    for (tmp, (path, _)) in written.into_iter().zip(files) {
        tmp.persist(path).map_err(|e| werr(path, e.error))?;
    }
    Ok(())
}

/// `bytes` in a synced temporary file in `path`'s folder (removed when dropped unpersisted).
fn written_beside(path: &Path, bytes: &[u8]) -> Result<tempfile::NamedTempFile, DataError> {
    let dir = parent_of(path);
    std::fs::create_dir_all(dir).map_err(|e| werr(dir, e))?;
    let mut builder = tempfile::Builder::new();
    builder.prefix(".jointscope-");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        builder.permissions(std::fs::Permissions::from_mode(0o644)); // not tempfile's private 0600
    }
    let mut tmp = builder.tempfile_in(dir).map_err(|e| werr(dir, format!("creating a temporary file: {e}")))?;
    tmp.write_all(bytes).and_then(|_| tmp.as_file().sync_all()).map_err(|e| werr(path, e))?;
    Ok(tmp)
}

/// Write `files` (name, bytes) into the folder `dir` atomically: into a temporary sibling folder,
/// each file synced, then renamed over `dir` (an older `dir` is removed first, so a crash between
/// the two leaves no `dir` rather than a mixed one). A write that fails (a full disk) removes the
/// temporary folder and leaves `dir` as it was. Returns `dir`.
pub fn write_dir_atomic(dir: &Path, files: &[(&str, &[u8])]) -> Result<PathBuf, DataError> {
    let name = dir.file_name().ok_or_else(|| werr(dir, "not a folder name"))?.to_string_lossy().to_string();
    let tmp = parent_of(dir).join(format!("{name}.tmp"));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).map_err(|e| werr(&tmp, e))?;
    if let Err(e) = write_files(&tmp, files) {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    let _ = std::fs::remove_dir_all(dir);
    std::fs::rename(&tmp, dir).map_err(|e| werr(dir, e))?;
    Ok(dir.to_path_buf())
}

fn write_files(dir: &Path, files: &[(&str, &[u8])]) -> Result<(), DataError> {
    for (file, bytes) in files {
        let p = dir.join(file);
        let mut f = std::fs::File::create(&p).map_err(|e| werr(&p, e))?;
        f.write_all(bytes).and_then(|_| f.sync_all()).map_err(|e| werr(&p, e))?;
    }
    Ok(())
}

/// Hex SHA-256 of a file's bytes.
pub fn sha256_file(path: &Path) -> Result<String, DataError> {
    use sha2::{Digest, Sha256};
    let bytes = std::fs::read(path).map_err(|source| DataError::Io { path: path.into(), source })?;
    Ok(Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parallel_map_keeps_job_order_and_counts_every_job() {
        let jobs: Vec<u64> = (0..50).collect();
        let calls = std::sync::atomic::AtomicUsize::new(0);
        let last = std::sync::atomic::AtomicUsize::new(0);
        let out = parallel_map(
            &jobs,
            &|done, total| {
                calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                last.fetch_max(done, std::sync::atomic::Ordering::Relaxed);
                assert_eq!(total, 50);
            },
            |j| j * j,
        );
        assert_eq!(out, (0..50).map(|j| j * j).collect::<Vec<u64>>());
        assert_eq!((calls.into_inner(), last.into_inner()), (50, 50));
    }

    #[test]
    fn an_atomic_write_replaces_the_file_and_leaves_no_temporary() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("sub/a.json");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(d.path().join("sub")).unwrap().count(), 1);
    }

    #[test]
    fn a_folder_write_replaces_the_whole_folder() {
        let d = tempfile::tempdir().unwrap();
        let dir = d.path().join("epoch-0001");
        write_dir_atomic(&dir, &[("a", b"1"), ("b", b"2")]).unwrap();
        write_dir_atomic(&dir, &[("c", b"3")]).unwrap();
        let mut names: Vec<String> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into()).collect();
        names.sort();
        assert_eq!(names, ["c"]);
        assert!(!d.path().join("epoch-0001.tmp").exists());
    }
}
