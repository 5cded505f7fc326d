//! Gives memory back to the OS while PayDesk is hidden in the tray (issue 22).
//!
//! Layout: [`trim_heap`] returns the heap's free pages to the OS (glibc's `malloc_trim`,
//! Linux); [`resident`] reads what the process holds in RAM now (`/proc/self/status`,
//! Linux), so the app can log what a release gave back. Elsewhere both do nothing and
//! say so (`false`, `None`): Windows and macOS were not measured (see the README).
//!
//! Ending WebKitGTK's network process once no page is left (34 MiB in the tray) was
//! built and measured (commit c2969ac: 144 → 125 MiB for a shop) and taken out again: with
//! it, the tray's end-to-end test found no new window through WebDriver, and the cause is
//! not known yet (issue 22).
//!
//! Why the heap: after the window (its GTK widgets, WebKit's UI-process side, the
//! page's IPC buffers) is destroyed, glibc keeps the freed memory in its arenas, one per
//! thread that allocated, and gives back only what lies at the top of each; the tray
//! needs none of it. Clean pages of mapped libraries (GTK, WebKit, Mesa) are not released
//! here: the kernel pages out a file's page cache on `madvise(MADV_PAGEOUT)` only for
//! files the process could open for writing (`can_do_file_pageout`, Linux 5.4 and
//! later), so for a shop's non-root process and the system's libraries it does nothing,
//! and a benchmark run as root would show a gain no shop gets.

/// Returns the free memory of every malloc arena to the OS, the pages in the middle of
/// an arena too. Returns whether any memory was given back; `false` where PayDesk does
/// not use glibc's allocator.
pub fn trim_heap() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: `malloc_trim` takes no pointer and only releases pages glibc holds free;
        // it is thread-safe (it locks each arena in turn).
        #[allow(unsafe_code)]
        let released = unsafe { libc::malloc_trim(0) };
        released != 0
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    false
}

/// What the process holds in RAM, in KiB (Linux's `RssAnon`, `RssFile`, `RssShmem`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Resident {
    /// Heap, thread stacks and other anonymous memory.
    pub anon_kib: u64,
    /// Pages of mapped files (the executable, libraries, fonts).
    pub file_kib: u64,
    /// Shared memory (GPU buffers of the software renderer, shared with the X server).
    pub shmem_kib: u64,
}

impl Resident {
    /// All three together.
    pub fn total_kib(&self) -> u64 {
        self.anon_kib + self.file_kib + self.shmem_kib
    }
}

/// This process's resident memory now; `None` where the OS does not say (not Linux).
pub fn resident() -> Option<Resident> {
    #[cfg(target_os = "linux")]
    {
        std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| resident_from_status(&s))
    }
    #[cfg(not(target_os = "linux"))]
    None
}

/// Reads [`Resident`] from the text of `/proc/PID/status`; `None` when a field is
/// missing (a kernel before 4.5 has no `RssAnon`).
pub fn resident_from_status(status: &str) -> Option<Resident> {
    let field = |name: &str| {
        status.lines().find_map(|line| {
            let rest = line.strip_prefix(name)?.strip_prefix(':')?;
            rest.trim().strip_suffix("kB")?.trim().parse::<u64>().ok()
        })
    };
    Some(Resident {
        anon_kib: field("RssAnon")?,
        file_kib: field("RssFile")?,
        shmem_kib: field("RssShmem")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resident_is_read_from_the_status_fields() {
        let status = "Name:\tpaydesk\nVmRSS:\t  120000 kB\nRssAnon:\t   60000 kB\n\
                      RssFile:\t   50000 kB\nRssShmem:\t   10000 kB\nThreads:\t21\n";
        let r = resident_from_status(status).expect("all three fields");
        assert_eq!(
            r,
            Resident {
                anon_kib: 60000,
                file_kib: 50000,
                shmem_kib: 10000
            }
        );
        assert_eq!(r.total_kib(), 120000);
    }

    #[test]
    fn a_status_without_the_fields_reads_as_unknown() {
        assert_eq!(
            resident_from_status("Name:\tpaydesk\nVmRSS:\t 1 kB\n"),
            None
        );
        // A prefix of another field's name is not the field.
        assert_eq!(
            resident_from_status("RssAnonX:\t1 kB\nRssFile:\t2 kB\nRssShmem:\t3 kB\n"),
            None
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn this_process_has_resident_memory() {
        let r = resident().expect("Linux has /proc/self/status");
        assert!(r.anon_kib > 0 && r.file_kib > 0);
    }

    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[test]
    fn freed_heap_goes_back_to_the_os() {
        // 64 MiB in small blocks (below the mmap threshold, so they live in the arena),
        // written so their pages are resident, then freed but one block at the top: glibc
        // cannot shrink the arena from its top and keeps the pages until it is trimmed.
        let blocks: Vec<Vec<u8>> = (0..16 * 1024).map(|_| vec![1u8; 4096]).collect();
        let keep = vec![1u8; 4096];
        let before = resident().expect("status").anon_kib;
        drop(blocks);
        assert!(trim_heap(), "malloc_trim gave nothing back");
        let after = resident().expect("status").anon_kib;
        drop(keep);
        assert!(
            after + 32 * 1024 < before,
            "anonymous memory {before} KiB before the trim, {after} KiB after"
        );
    }
}
