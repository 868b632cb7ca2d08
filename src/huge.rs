//! Large read-only model tables in memory advised for transparent huge
//! pages (issue 9).
//!
//! Why: tagging and topic scoring make thousands of random reads per
//! article into tables of 6–25 MB (the NER weight tables). With 4 KiB
//! pages nearly every such read also misses the TLB; with 2 MiB pages the
//! tables need a few dozen TLB entries. On this project's 2-core EPYC VM,
//! running the in-process benchmark with glibc's
//! `GLIBC_TUNABLES=glibc.malloc.hugetlb=1` (every large malloc advised)
//! cut the Arabic sample's analysis by ~5 %. Hosts often set THP to
//! `madvise` (the Debian default here), so the tables ask for it
//! themselves instead of relying on an environment variable.
//!
//! How, without `unsafe`: an anonymous mapping from `memmap2`
//! (`MmapMut::map_anon`, zero-filled, page-aligned), advised with the safe
//! `Advice::HugePage`, viewed as `[T]` through `bytemuck` (plain-old-data
//! types only, the cast checks size and alignment). When a mapping or the
//! cast is not available (small tables, other platforms, mmap refused),
//! the table is an ordinary `Vec` with the same contents: only speed
//! differs, never a result.
//!
//! Memory: the mapping is exactly the table's size rounded up to a page;
//! huge pages do not add to RSS for tables whose every page is written
//! anyway (open-addressing tables are).

use bytemuck::Pod;

/// Below this size a table stays on the heap: a huge page is 2 MiB, and
/// a smaller table gains nothing from it.
const MIN_HUGE_BYTES: usize = 2 << 20;

/// A fixed-length, zero-initialised slice of `T`, in a huge-page-advised
/// mapping when possible (see the module doc).
pub struct HugeSlice<T: Pod> {
    backing: Backing<T>,
}

enum Backing<T> {
    /// An anonymous mapping; the elements are its bytes
    /// `off .. off + len * size_of::<T>()` (`off` aligns them to 2 MiB).
    Map {
        map: memmap2::MmapMut,
        off: usize,
        len: usize,
    },
    Heap(Vec<T>),
}

/// Size and alignment of a (transparent) huge page on x86-64 and most
/// aarch64 kernels.
const HUGE_PAGE: usize = 2 << 20;

impl<T: Pod> HugeSlice<T> {
    /// `len` zeroed elements.
    pub fn zeroed(len: usize) -> Self {
        let bytes = len.saturating_mul(std::mem::size_of::<T>());
        if bytes >= MIN_HUGE_BYTES {
            if let Some((map, off)) = huge_map(bytes) {
                let s = HugeSlice {
                    backing: Backing::Map { map, off, len },
                };
                // The cast cannot fail for a page-aligned range of the
                // right size; checked once here so that `as_slice` never
                // has to fall back (the mapping is never resized).
                if s.try_slice().is_some() {
                    return s;
                }
            }
        }
        HugeSlice {
            backing: Backing::Heap(vec![T::zeroed(); len]),
        }
    }

    /// A copy of `items` (built on the heap by code that pushes, then
    /// moved here once its size is known).
    pub fn from_slice(items: &[T]) -> Self {
        let mut s = HugeSlice::zeroed(items.len());
        s.as_mut_slice().copy_from_slice(items);
        s
    }

    /// Whether the table is in a huge-page-advised mapping (tests, logs).
    pub fn is_mapped(&self) -> bool {
        matches!(self.backing, Backing::Map { .. })
    }

    fn try_slice(&self) -> Option<&[T]> {
        match &self.backing {
            Backing::Map { map, off, len } => {
                let end = len
                    .checked_mul(std::mem::size_of::<T>())?
                    .checked_add(*off)?;
                bytemuck::try_cast_slice(map.get(*off..end)?).ok()
            }
            Backing::Heap(v) => Some(v),
        }
    }

    pub fn as_slice(&self) -> &[T] {
        let s = self.try_slice();
        // Unreachable (checked at construction, never resized); should it
        // ever break, every lookup would silently find nothing.
        debug_assert!(s.is_some(), "HugeSlice view lost");
        s.unwrap_or(&[])
    }

    pub fn as_mut_slice(&mut self) -> &mut [T] {
        match &mut self.backing {
            Backing::Map { map, off, len } => {
                let end = len
                    .saturating_mul(std::mem::size_of::<T>())
                    .saturating_add(*off);
                let s = map
                    .get_mut(*off..end)
                    .and_then(|b| bytemuck::try_cast_slice_mut(b).ok());
                debug_assert!(s.is_some(), "HugeSlice view lost");
                s.unwrap_or(&mut [])
            }
            Backing::Heap(v) => v,
        }
    }
}

/// An anonymous mapping with room for `bytes` starting at a 2 MiB
/// boundary, advised for huge pages (Linux), and that offset; `None` when
/// the system refuses the mapping. Why the alignment: huge pages only back
/// aligned 2 MiB ranges, and the kernel aligns an anonymous mapping only
/// when its length is a multiple of 2 MiB, so a 6 MB table mapped as is
/// could get one huge page instead of three (the reviewer's finding). The
/// unused head and tail are never touched, so they cost address space,
/// not memory. A refused advice (THP compiled out or set to `never`)
/// still gives a usable mapping.
fn huge_map(bytes: usize) -> Option<(memmap2::MmapMut, usize)> {
    let map = memmap2::MmapMut::map_anon(bytes.checked_add(HUGE_PAGE)?).ok()?;
    let addr = map.as_ptr() as usize;
    let off = (HUGE_PAGE - addr % HUGE_PAGE) % HUGE_PAGE;
    #[cfg(target_os = "linux")]
    {
        let _ = map.advise(memmap2::Advice::HugePage);
    }
    Some((map, off))
}

impl<T: Pod> std::ops::Deref for HugeSlice<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        self.as_slice()
    }
}

impl<T: Pod> std::ops::DerefMut for HugeSlice<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        self.as_mut_slice()
    }
}

impl<T: Pod> Clone for HugeSlice<T> {
    fn clone(&self) -> Self {
        HugeSlice::from_slice(self.as_slice())
    }
}

impl<T: Pod> Default for HugeSlice<T> {
    fn default() -> Self {
        HugeSlice {
            backing: Backing::Heap(Vec::new()),
        }
    }
}

impl<T: Pod> std::fmt::Debug for HugeSlice<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "HugeSlice({} x {} B, mapped: {})",
            self.len(),
            std::mem::size_of::<T>(),
            self.is_mapped()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_tables_stay_on_the_heap_large_ones_are_mapped_and_both_work() {
        for (len, mapped) in [(1000usize, false), (1 << 20, true)] {
            let mut s: HugeSlice<u64> = HugeSlice::zeroed(len);
            assert_eq!(s.len(), len);
            assert_eq!(s.is_mapped(), mapped, "len {len}");
            if mapped {
                assert_eq!(s.as_ptr() as usize % HUGE_PAGE, 0, "2 MiB-aligned");
            }
            assert!(s.iter().all(|x| *x == 0), "zero-filled");
            for (i, x) in s.iter_mut().enumerate() {
                *x = i as u64 * 3;
            }
            let c = s.clone();
            assert_eq!(c.len(), len);
            assert!(c.iter().enumerate().all(|(i, x)| *x == i as u64 * 3));
            assert_eq!(c.is_mapped(), mapped);
        }
        let e: HugeSlice<u32> = HugeSlice::default();
        assert!(e.is_empty());
    }
}
