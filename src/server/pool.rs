//! The CPU pool: analyses run on a fixed set of rayon threads sized to the
//! cores, never on tokio workers, behind a server-wide admission limit.
//!
//! Why both: the pool bounds CPU parallelism (more threads than cores only
//! adds latency), the semaphore bounds *memory and queueing* (requests
//! waiting for a thread each hold their article). Unary calls that find no
//! permit are rejected at once; streams wait for one, but only up to a
//! server-wide number of waiters: without that cap, every connection could
//! park `--max-concurrent-streams` decoded articles, and many connections an
//! unbounded number of them.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{oneshot, OwnedSemaphorePermit, Semaphore};

/// Set when the caller no longer wants the result (client gone, deadline
/// passed, server stopping). The job checks it at its checkpoints.
#[derive(Clone, Debug, Default)]
pub struct CancelFlag(Arc<AtomicBool>);

impl CancelFlag {
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Cancels its flag when dropped: tie it to the future that awaits the job,
/// so a dropped RPC future stops the work.
pub struct CancelOnDrop(pub CancelFlag);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

/// Why a job did not run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolError {
    /// No admission slot free (unary calls only).
    Overloaded,
    /// No slot free and already as many callers waiting as allowed.
    QueueFull,
    /// The pool is gone (server shutting down) or the job panicked.
    Unavailable,
}

/// Bounded CPU pool with admission control.
pub struct CpuPool {
    pool: rayon::ThreadPool,
    permits: Arc<Semaphore>,
    max: usize,
    in_flight: Arc<AtomicI64>,
    waiting: Arc<AtomicUsize>,
    max_waiting: usize,
}

impl std::fmt::Debug for CpuPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CpuPool")
            .field("threads", &self.pool.current_num_threads())
            .field("max_in_flight", &self.max)
            .field("max_waiting", &self.max_waiting)
            .finish()
    }
}

/// An admission slot; the job holds it until it finishes.
pub struct Admission {
    _permit: OwnedSemaphorePermit,
}

/// One caller counted in `waiting` until it gets a slot or gives up (its
/// future dropped: client gone, deadline passed).
struct Waiter(Arc<AtomicUsize>);

impl Drop for Waiter {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl CpuPool {
    /// `max_waiting` callers may wait for a slot at once (streams and batch
    /// items); past that they get `QueueFull`. 0 = nobody waits.
    pub fn new(threads: usize, max_in_flight: usize, max_waiting: usize) -> std::io::Result<Self> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads.max(1))
            .thread_name(|i| format!("nutgraf-cpu-{i}"))
            .build()
            .map_err(std::io::Error::other)?;
        Ok(CpuPool {
            pool,
            permits: Arc::new(Semaphore::new(max_in_flight.max(1))),
            max: max_in_flight.max(1),
            in_flight: Arc::new(AtomicI64::new(0)),
            waiting: Arc::new(AtomicUsize::new(0)),
            max_waiting,
        })
    }

    pub fn threads(&self) -> usize {
        self.pool.current_num_threads()
    }

    pub fn max_in_flight(&self) -> usize {
        self.max
    }

    /// Jobs admitted and not yet finished (running or queued).
    pub fn in_flight(&self) -> i64 {
        self.in_flight.load(Ordering::Relaxed)
    }

    pub fn max_waiting(&self) -> usize {
        self.max_waiting
    }

    /// Callers waiting for a slot now.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Acquire)
    }

    /// A slot now, or `Overloaded`.
    pub fn try_admit(&self) -> Result<Admission, PoolError> {
        self.permits
            .clone()
            .try_acquire_owned()
            .map(|p| Admission { _permit: p })
            .map_err(|_| PoolError::Overloaded)
    }

    /// A slot now, or wait for one if fewer than `max_waiting` callers are
    /// already waiting; otherwise `QueueFull` at once.
    pub fn admit(&self) -> impl Future<Output = Result<Admission, PoolError>> + Send + 'static {
        let permits = self.permits.clone();
        let waiting = self.waiting.clone();
        let max_waiting = self.max_waiting;
        async move {
            if let Ok(p) = permits.clone().try_acquire_owned() {
                return Ok(Admission { _permit: p });
            }
            if waiting
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |w| {
                    (w < max_waiting).then_some(w + 1)
                })
                .is_err()
            {
                return Err(PoolError::QueueFull);
            }
            let _waiter = Waiter(waiting);
            permits
                .acquire_owned()
                .await
                .map(|p| Admission { _permit: p })
                .map_err(|_| PoolError::Unavailable)
        }
    }

    /// Run `job` on the pool. The returned future yields the job's result
    /// and the time it waited for a thread. Dropping the future cancels
    /// `cancel` (the job sees it at its next checkpoint).
    pub fn run<R, F>(
        &self,
        admission: Admission,
        cancel: CancelFlag,
        job: F,
    ) -> impl Future<Output = Result<(R, Duration), PoolError>> + Send + 'static
    where
        R: Send + 'static,
        F: FnOnce(&CancelFlag) -> R + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let queued = Instant::now();
        let in_flight = self.in_flight.clone();
        in_flight.fetch_add(1, Ordering::Relaxed);
        let flag = cancel.clone();
        self.pool.spawn(move || {
            let waited = queued.elapsed();
            // A job whose caller left while it was queued costs nothing.
            let out = if flag.is_cancelled() {
                None
            } else {
                Some(std::panic::catch_unwind(std::panic::AssertUnwindSafe(
                    || job(&flag),
                )))
            };
            // Release the gauge and the slot *before* replying, so a caller
            // that got its answer can be admitted again at once. The gauge
            // first: the next admitted job increments it only after taking
            // the released permit (the semaphore orders the two), so the
            // gauge never reads above the admission limit. In the other
            // order a reader could see limit + 1 (tests/hostile.rs
            // `one_connection_1000_unread_streams` failed once so).
            in_flight.fetch_sub(1, Ordering::Relaxed);
            drop(admission);
            if let Some(out) = out {
                let _ = tx.send(out.map(|r| (r, waited)).map_err(|_| ()));
            }
        });
        let guard = CancelOnDrop(cancel);
        async move {
            let r = rx.await;
            drop(guard);
            match r {
                Ok(Ok(v)) => Ok(v),
                _ => Err(PoolError::Unavailable),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn runs_and_limits() {
        let pool = CpuPool::new(1, 1, 0).unwrap();
        let a = pool.try_admit().unwrap();
        assert_eq!(pool.try_admit().err(), Some(PoolError::Overloaded));
        let (v, _) = pool
            .run(a, CancelFlag::default(), |_| 41 + 1)
            .await
            .unwrap();
        assert_eq!(v, 42);
        assert!(pool.try_admit().is_ok());
    }

    #[tokio::test]
    async fn waiters_are_capped_and_leave_the_queue_when_dropped() {
        let pool = CpuPool::new(1, 1, 2).unwrap();
        let slot = pool.try_admit().unwrap();
        // Two callers may wait; the third is refused at once.
        let w1 = tokio::spawn(pool.admit());
        let w2 = tokio::spawn(pool.admit());
        let t = Instant::now();
        while pool.waiting() < 2 && t.elapsed() < Duration::from_secs(5) {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        assert_eq!(pool.waiting(), 2);
        assert_eq!(pool.admit().await.err(), Some(PoolError::QueueFull));
        // A waiter that gives up frees its place in the queue.
        w2.abort();
        let _ = w2.await;
        assert_eq!(pool.waiting(), 1);
        let w3 = tokio::spawn(pool.admit());
        // The slot goes to a waiter when released.
        drop(slot);
        let first = tokio::time::timeout(Duration::from_secs(5), w1)
            .await
            .expect("first waiter admitted")
            .expect("task ran");
        assert!(first.is_ok());
        drop(first);
        let third = tokio::time::timeout(Duration::from_secs(5), w3)
            .await
            .expect("third waiter admitted")
            .expect("task ran");
        assert!(third.is_ok());
        assert_eq!(pool.waiting(), 0);
    }

    #[tokio::test]
    async fn a_free_slot_needs_no_queue_place() {
        let pool = CpuPool::new(1, 1, 0).unwrap();
        assert!(pool.admit().await.is_ok());
    }

    #[tokio::test]
    async fn dropping_the_future_cancels() {
        let pool = CpuPool::new(1, 4, 0).unwrap();
        let flag = CancelFlag::default();
        let seen = flag.clone();
        let (started_tx, started_rx) = std::sync::mpsc::channel();
        let fut = pool.run(pool.try_admit().unwrap(), flag, move |f| {
            started_tx.send(()).unwrap();
            let t = Instant::now();
            while !f.is_cancelled() && t.elapsed() < Duration::from_secs(5) {
                std::thread::sleep(Duration::from_millis(1));
            }
            f.is_cancelled()
        });
        let h = tokio::spawn(fut);
        tokio::task::spawn_blocking(move || started_rx.recv().unwrap())
            .await
            .unwrap();
        h.abort();
        let t = Instant::now();
        while !seen.is_cancelled() && t.elapsed() < Duration::from_secs(5) {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        assert!(seen.is_cancelled());
        // The job ends and releases its slot.
        let t = Instant::now();
        while pool.in_flight() > 0 && t.elapsed() < Duration::from_secs(5) {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        assert_eq!(pool.in_flight(), 0);
    }
}
