//! Gives memory back to the OS while PayDesk is hidden in the tray (issue 22).
//!
//! Layout: [`trim_heap`] returns the heap's free pages to the OS (glibc's `malloc_trim`,
//! Linux); [`release_clean_file_pages`] takes the clean pages of mapped files (the
//! binary's and the libraries' code) out of the process (Linux);
//! [`end_idle_network_process`] ends WebKitGTK's network process once no page is left
//! (Linux; [`idle_network_processes`] decides which); [`resident`] reads what the process
//! holds in RAM now (`/proc/self/status`, Linux), so the app can log what a release gave
//! back. Elsewhere they do nothing and say so (`false`, 0, nothing ended, `None`): Windows
//! and macOS were not measured (see the README).
//!
//! Why the network process: WebKitGTK keeps it for the app's lifetime, pages or not (34
//! MiB in the tray; tauri-runtime-wry keeps the web context on purpose, tauri#14626), and
//! starts a new one when the next window needs it. Not under WebDriver: WebKit ends its
//! automation session when the network process ends
//! (`WebProcessPool::networkProcessDidTerminate`), so the end-to-end tests' session
//! would be gone with it; the caller says whether automation is on.
//!
//! Why the heap: after the window (its GTK widgets, WebKit's UI-process side, the
//! page's IPC buffers) is destroyed, glibc keeps the freed memory in its arenas, one per
//! thread that allocated, and gives back only what lies at the top of each; the tray
//! needs none of it.
//!
//! Why the file pages: most of what a closed window leaves in the process is the clean
//! pages of the libraries it used (WebKit, JavaScriptCore, GTK, Mesa), and the binary's
//! own code; they stay mapped for as long as the process lives. `madvise(MADV_DONTNEED)`
//! drops a mapping's page-table entries with no permission needed (unlike
//! `MADV_PAGEOUT`, which pages out a file's cache only for a process that could write the
//! file: `can_do_file_pageout`, so not for a shop's process and the system's libraries).
//! For a private mapping that holds only the file's own bytes, the next access maps them
//! again from the file cache; for one with a copied-on-write page (a relocated RELRO
//! segment, written data) it would bring back the file's bytes instead of the written
//! ones, so those are never touched.

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

/// Takes the clean pages of mapped files out of this process (Linux): the code and
/// read-only data of the binary and its libraries that the window or a burst of work
/// touched. Their content stays in the OS's file cache, which the OS frees first when
/// memory is short; a page used again is mapped again from there (a minor fault, no disk
/// read while it is cached). Windows' working-set trim does the same.
///
/// Only the read-only segments of loaded ELF objects are touched, and of those only the
/// parts that lie in mappings which cannot hold anything but the file's own bytes
/// ([`clean_file_mappings`]). The work runs inside `dl_iterate_phdr`, which holds the
/// dynamic loader's list lock: no object it lists can be unloaded (`dlclose`) meanwhile.
/// A range `/proc/self/smaps` showed just before is released only where an object listed
/// now has a read-only segment, so memory mapped there since (after an unload) is never
/// touched; the one case left, a library with text relocations (`DT_TEXTREL`, which x86-64
/// and AArch64 distributions do not ship) loaded at that very address in between, would
/// have its relocated text read back from the file.
/// Returns the KiB of address range released.
pub fn release_clean_file_pages() -> u64 {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let Ok(smaps) = std::fs::read_to_string("/proc/self/smaps") else {
            return 0;
        };
        let mut work = Release {
            clean: clean_file_mappings(&smaps),
            released_kib: 0,
        };
        // SAFETY: `release_object` is called by the loader with a valid `dl_phdr_info`
        // for the duration of each call, and `data` is `work`, alive for the whole call.
        #[allow(unsafe_code)]
        unsafe {
            libc::dl_iterate_phdr(Some(release_object), (&raw mut work).cast());
        }
        work.released_kib
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    0
}

/// What [`release_clean_file_pages`] passes through `dl_iterate_phdr`.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
struct Release {
    /// Sorted by address, as `/proc/self/smaps` lists them.
    clean: Vec<Mapping>,
    released_kib: u64,
}

/// One loaded object: releases the pages of its read-only segments (`PT_LOAD` without
/// `PF_W`; RELRO lies in a writable one) that lie in a clean mapping.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
unsafe extern "C" fn release_object(
    info: *mut libc::dl_phdr_info,
    _size: libc::size_t,
    data: *mut libc::c_void,
) -> libc::c_int {
    // SAFETY: see `release_clean_file_pages`: both pointers are valid for this call.
    let (info, work) = unsafe { (&*info, &mut *data.cast::<Release>()) };
    let headers = if info.dlpi_phdr.is_null() {
        &[][..]
    } else {
        // SAFETY: the loader's program headers of this object, `dlpi_phnum` of them.
        unsafe { std::slice::from_raw_parts(info.dlpi_phdr, usize::from(info.dlpi_phnum)) }
    };
    let base = info.dlpi_addr as usize;
    for header in headers
        .iter()
        .filter(|h| h.p_type == libc::PT_LOAD && h.p_flags & libc::PF_W == 0)
    {
        let start = base.wrapping_add(header.p_vaddr as usize);
        let end = start.saturating_add(header.p_memsz as usize);
        let first = work.clean.partition_point(|m| m.start + m.len <= start);
        for mapping in work.clean[first..].iter().take_while(|m| m.start < end) {
            let page = mapping.page_bytes.max(1);
            let from = start.max(mapping.start).next_multiple_of(page);
            let to = end.min(mapping.start + mapping.len) / page * page;
            if from >= to {
                continue;
            }
            // SAFETY: [from, to) is whole pages of a read-only segment of an object the
            // loader cannot unload while this runs, inside a mapping that is private,
            // not writable, not locked, of a regular file and with no copied-on-write
            // page: every page holds the file's own bytes. MADV_DONTNEED only drops the
            // page-table entries; the next access maps the same bytes again.
            let done =
                unsafe { libc::madvise(from as *mut libc::c_void, to - from, libc::MADV_DONTNEED) }
                    == 0;
            if done {
                work.released_kib += ((to - from) / 1024) as u64;
            }
        }
    }
    0
}

/// A mapping of a file, from `/proc/self/smaps`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    pub start: usize,
    pub len: usize,
    /// Resident now, KiB.
    pub rss_kib: u64,
    /// The kernel's page size for this mapping (`KernelPageSize`).
    pub page_bytes: usize,
}

/// The mappings whose pages can only be the file's own bytes: private (`p`), neither
/// writable nor locked nor special (`VmFlags` without `wr`, `lo`, `io`, `pf`, `ht`), of a
/// regular file that is still there (a path, not under `/dev`, not `(deleted)`), and with
/// no anonymous page (a RELRO segment the loader relocated has them; so does any page
/// written before an `mprotect`). Mappings with nothing resident are left out.
pub fn clean_file_mappings(smaps: &str) -> Vec<Mapping> {
    let mut found = Vec::new();
    let mut current: Option<(Mapping, bool)> = None;
    let mut anonymous = 0u64;
    let finish = |current: Option<(Mapping, bool)>, anonymous: u64, found: &mut Vec<Mapping>| {
        if let Some((mapping, eligible)) = current
            && eligible
            && anonymous == 0
            && mapping.rss_kib > 0
        {
            found.push(mapping);
        }
    };
    for line in smaps.lines() {
        let mut fields = line.split_whitespace();
        let first = fields.next().unwrap_or("");
        if let Some((start, end)) = first.split_once('-')
            && let (Ok(start), Ok(end)) = (
                usize::from_str_radix(start, 16),
                usize::from_str_radix(end, 16),
            )
        {
            finish(current.take(), anonymous, &mut found);
            anonymous = 0;
            let perms = fields.next().unwrap_or("");
            let path = fields.nth(3).unwrap_or("");
            let rest: Vec<&str> = fields.collect();
            let eligible = perms.len() == 4
                && !perms.contains('w')
                && perms.ends_with('p')
                && path.starts_with('/')
                && !path.starts_with("/dev/")
                && rest.is_empty();
            current = Some((
                Mapping {
                    start,
                    len: end.saturating_sub(start),
                    rss_kib: 0,
                    page_bytes: 4096,
                },
                eligible,
            ));
            continue;
        }
        let Some((mapping, eligible)) = current.as_mut() else {
            continue;
        };
        let mut value = || {
            fields
                .next()
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
        };
        match first {
            "Rss:" => mapping.rss_kib = value(),
            "KernelPageSize:" => {
                mapping.page_bytes = usize::try_from(value() * 1024).unwrap_or(4096)
            }
            "Anonymous:" => anonymous = value(),
            "VmFlags:" => {
                let flags: Vec<&str> = line["VmFlags:".len()..].split_whitespace().collect();
                if flags
                    .iter()
                    .any(|f| matches!(*f, "wr" | "lo" | "io" | "pf" | "ht"))
                {
                    *eligible = false;
                }
            }
            _ => {}
        }
    }
    finish(current, anonymous, &mut found);
    found
}

/// Ends WebKitGTK's network process when no web process is left (Linux): the window is
/// gone, so nothing uses it. It ends with SIGTERM, as at the system's shutdown, seconds
/// after the last page went (the caller waits for a quiet moment): by then its cookies and
/// local storage are written. Returns the processes ended.
pub fn end_idle_network_process() -> Vec<u32> {
    #[cfg(target_os = "linux")]
    {
        let children = children_of(std::process::id());
        let mut ended = Vec::new();
        for pid in idle_network_processes(&children) {
            let Ok(pid_t) = libc::pid_t::try_from(pid) else {
                continue;
            };
            // SAFETY: `kill` takes no pointer; the pid is a child of this process, and a
            // child's pid is not reused before this process reaps it.
            #[allow(unsafe_code)]
            let sent = unsafe { libc::kill(pid_t, libc::SIGTERM) } == 0;
            if sent {
                ended.push(pid);
            }
        }
        ended
    }
    #[cfg(not(target_os = "linux"))]
    Vec::new()
}

/// The kernel's short name (`comm`, 15 bytes) of WebKitGTK's web and network processes.
const WEB_PROCESS: &str = "WebKitWebProces";
const NETWORK_PROCESS: &str = "WebKitNetworkPr";

/// Of a process's children (pid, short name), the network processes to end: all of them
/// when no web process is left, none while one is (a page still uses them).
pub fn idle_network_processes(children: &[(u32, String)]) -> Vec<u32> {
    if children.iter().any(|(_, name)| name == WEB_PROCESS) {
        return Vec::new();
    }
    children
        .iter()
        .filter(|(_, name)| name == NETWORK_PROCESS)
        .map(|(pid, _)| *pid)
        .collect()
}

/// The children of `parent` with their short names, from `/proc/*/stat`.
#[cfg(target_os = "linux")]
fn children_of(parent: u32) -> Vec<(u32, String)> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            let (name, ppid) = name_and_parent(&stat)?;
            (ppid == parent).then(|| (pid, name.to_owned()))
        })
        .collect()
}

/// The short name and parent pid from the text of `/proc/PID/stat`
/// (`pid (name) state ppid …`; the name may hold spaces and parentheses).
pub fn name_and_parent(stat: &str) -> Option<(&str, u32)> {
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let name = stat.get(open + 1..close)?;
    let mut rest = stat.get(close + 1..)?.split_whitespace();
    let _state = rest.next()?;
    let ppid = rest.next()?.parse().ok()?;
    Some((name, ppid))
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

    #[test]
    fn the_network_process_ends_only_when_no_page_is_left() {
        let web = (11, WEB_PROCESS.to_owned());
        let network = (12, NETWORK_PROCESS.to_owned());
        let other = (13, "xdg-open".to_owned());
        // A window is open: its web process uses the network process.
        assert_eq!(
            idle_network_processes(&[web.clone(), network.clone(), other.clone()]),
            Vec::<u32>::new()
        );
        // The window is gone: the network process ends, nothing else does.
        assert_eq!(
            idle_network_processes(&[network.clone(), other.clone()]),
            vec![12]
        );
        assert_eq!(idle_network_processes(&[other]), Vec::<u32>::new());
        assert_eq!(idle_network_processes(&[]), Vec::<u32>::new());
    }

    #[test]
    fn a_stat_line_gives_the_name_and_parent() {
        assert_eq!(
            name_and_parent("4242 (WebKitNetworkPr) S 4200 4200 4200 0 -1 4194560"),
            Some(("WebKitNetworkPr", 4200))
        );
        // A name with a space and a parenthesis.
        assert_eq!(name_and_parent("7 (a) b) R 1 7 7 0"), Some(("a) b", 1)));
        assert_eq!(name_and_parent("7 (broken"), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn this_process_has_resident_memory() {
        let r = resident().expect("Linux has /proc/self/status");
        assert!(r.anon_kib > 0 && r.file_kib > 0);
    }

    const SMAPS: &str = "\
55d000000000-55d000010000 r--p 00000000 fd:01 123 /opt/paydesk/paydesk
Rss:                  40 kB
Anonymous:             0 kB
VmFlags: rd mr mw me dw sd
55d000010000-55d000100000 r-xp 00010000 fd:01 123 /opt/paydesk/paydesk
Rss:                 900 kB
KernelPageSize:       16 kB
Anonymous:             0 kB
VmFlags: rd ex mr mw me dw sd
55d000100000-55d000110000 r--p 00100000 fd:01 123 /opt/paydesk/paydesk
Rss:                  64 kB
Anonymous:            64 kB
VmFlags: rd mr mw me dw ac sd
55d000110000-55d000112000 rw-p 00110000 fd:01 123 /opt/paydesk/paydesk
Rss:                   8 kB
Anonymous:             8 kB
VmFlags: rd wr mr mw me dw ac sd
7f0000000000-7f0000100000 r-xp 00000000 fd:01 456 /usr/lib/libwebkit.so
Rss:                   0 kB
Anonymous:             0 kB
VmFlags: rd ex mr mw me sd
7f0000100000-7f0000200000 r-xp 00000000 fd:01 789 /usr/lib/old.so (deleted)
Rss:                 100 kB
Anonymous:             0 kB
VmFlags: rd ex mr mw me sd
7f0000200000-7f0000210000 r--s 00000000 00:05 1 /dev/dri/card0
Rss:                  16 kB
Anonymous:             0 kB
VmFlags: rd sh mr mw me ms sd
7f0000210000-7f0000220000 r-xp 00000000 fd:01 321 /usr/lib/locked.so
Rss:                  64 kB
Anonymous:             0 kB
VmFlags: rd ex mr mw me lo sd
7f0000220000-7f0000230000 rw-p 00000000 00:00 0
Rss:                  64 kB
Anonymous:            64 kB
VmFlags: rd wr mr mw me ac sd
7ffd00000000-7ffd00002000 r-xp 00000000 00:00 0                          [vdso]
Rss:                   8 kB
Anonymous:             0 kB
VmFlags: rd ex mr mw me de sd
";

    #[test]
    fn only_mappings_that_hold_nothing_but_the_files_bytes_are_released() {
        // The binary's headers and code: yes. Its relocated RELRO segment (anonymous
        // pages), its data (writable), a mapping with nothing resident, a replaced file, a
        // device, a locked mapping, the heap and the vDSO: no.
        assert_eq!(
            clean_file_mappings(SMAPS),
            vec![
                Mapping {
                    start: 0x55d0_0000_0000,
                    len: 0x10000,
                    rss_kib: 40,
                    page_bytes: 4096,
                },
                Mapping {
                    start: 0x55d0_0001_0000,
                    len: 0xf0000,
                    rss_kib: 900,
                    page_bytes: 16384,
                },
            ]
        );
        assert_eq!(clean_file_mappings(""), vec![]);
    }

    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[test]
    fn clean_file_pages_leave_the_process_and_come_back_when_used() {
        let before = resident().expect("status").file_kib;
        let released = release_clean_file_pages();
        let after = resident().expect("status").file_kib;
        assert!(released > 0, "nothing was resident in this test's code");
        assert!(
            after < before,
            "file pages {before} KiB before, {after} KiB after"
        );
        // The code and constants still work: used again, they are mapped again.
        let text = format!("{:?}", clean_file_mappings(SMAPS));
        assert!(text.contains("rss_kib: 900"));
        assert!(resident().expect("status").file_kib > after);
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
