//! Helpers shared by the criterion benches.

/// User + system CPU time of this thread in clock ticks (Linux only; None
/// elsewhere). Benches print CPU time next to criterion's wall time because
/// the machine they run on is often shared: CPU time is what a core costs.
pub fn cpu_ticks() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    let rest = s.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let user: u64 = f.get(11)?.parse().ok()?;
    let sys: u64 = f.get(12)?.parse().ok()?;
    Some(user + sys)
}
