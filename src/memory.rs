//! Process-wide allocator settings (issue 6: peak memory per record).
//!
//! omni allocates a few huge columns and, while reading, many short-lived chunk buffers on every
//! thread. glibc's defaults keep memory a process freed: up to 8 arenas per core, each keeping
//! its freed top, so the resident size after reading stays well above what is live. Two
//! settings give that memory back (measured on 1M people, 3.58M records: peak RSS 1,001 MB →
//! 797 MB, no slower): at most one arena per core, and trimming the top of the heap on every
//! free that leaves free memory there. Other C libraries are left alone.

/// Applies the settings; call once at start-up, before any threads exist.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let arenas = libc::c_int::try_from(cores.max(2)).unwrap_or(libc::c_int::MAX);
        // SAFETY: mallopt only sets glibc's tunables; it is called before other threads start.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, arenas);
            libc::mallopt(libc::M_TRIM_THRESHOLD, 0);
        }
    }
}

/// Hands the memory that finished stages freed back to the system. glibc keeps freed blocks in
/// its heaps for reuse and returns only the free top of each heap; a stage's temporaries freed
/// in the middle of a heap (the linker's union-find and holder lists, the reader's batches)
/// stayed resident through every later stage and counted in the run's peak. `malloc_trim`
/// releases free pages anywhere in every arena. Costs milliseconds; call between stages.
pub fn release_freed() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free pages of glibc's own heaps to the system.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// The process's resident memory now and at its peak so far, in bytes (`VmRSS` and `VmHWM` of
/// `/proc/self/status`); `None` where that file does not exist. For `OMNI_TIMINGS`: which stage
/// holds the peak.
pub fn resident() -> Option<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    parse_status(&status)
}

/// CPU time this process has used so far (user + system, every thread), in seconds; `None`
/// where `getrusage` fails. For `OMNI_TIMINGS`: a stage's CPU time against its wall time shows
/// how much of the second core it used.
pub fn cpu_seconds() -> Option<f64> {
    #[cfg(unix)]
    {
        // SAFETY: getrusage writes one rusage struct, which is zeroed and owned here.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: RUSAGE_SELF with a valid pointer to a rusage struct.
        if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
            return None;
        }
        let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
        Some(seconds(usage.ru_utime) + seconds(usage.ru_stime))
    }
    #[cfg(not(unix))]
    None
}

fn parse_status(status: &str) -> Option<(u64, u64)> {
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.trim().strip_suffix("kB"))
            .and_then(|kb| kb.trim().parse::<u64>().ok())
            .map(|kb| kb * 1024)
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resident_sizes_are_read_from_the_status_file() {
        let status = "Name:\tomni\nVmHWM:\t  812340 kB\nVmRSS:\t  745632 kB\nThreads:\t3\n";
        assert_eq!(parse_status(status), Some((745_632 * 1024, 812_340 * 1024)));
        assert_eq!(parse_status("Name:\tomni\n"), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn this_process_has_a_resident_size() {
        let (now, peak) = resident().expect("/proc/self/status exists on Linux");
        assert!(now > 0 && peak >= now);
    }

    #[cfg(unix)]
    #[test]
    fn cpu_time_grows_with_work() {
        let before = cpu_seconds().expect("getrusage works on unix");
        let mut x = 0u64;
        while cpu_seconds().unwrap() - before < 0.02 {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
        }
        assert!(cpu_seconds().unwrap() >= before + 0.02);
    }
}
