//! Stream helpers shared by the streaming handlers.
//!
//! [`ordered_window`] is the one place that decides how a request stream
//! becomes work: responses come out in request order, at most `window`
//! items are in flight, and nothing is read from the client while the
//! window is full — so memory stays flat however long the stream, and a
//! client that reads slowly slows down its own input (HTTP/2 flow control
//! does the rest). Dropping the output (client gone) drops the in-flight
//! futures, which cancels their work on the CPU pool.

use futures::{Stream, StreamExt};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::time::{Instant, Sleep};
use tonic::{Code, Status};

/// Map each input item through `f`, at most `window` at a time, in order.
pub fn ordered_window<S, T, F, Fut>(
    input: S,
    window: usize,
    f: F,
) -> impl Stream<Item = Fut::Output>
where
    S: Stream<Item = T>,
    F: FnMut(T) -> Fut,
    Fut: Future,
{
    input.map(f).buffered(window.max(1))
}

/// Pass items through up to and including the first error, then end.
///
/// tonic's `Streaming` does not stop after a framing or decode error (a
/// message over the size limit, a bad compression flag, a truncated
/// message): it reports the error, then parses the bytes that follow as new
/// messages — one error per byte — and once the body has ended reports
/// "Unexpected EOF" on every poll, forever. Found in issue 8: one over-size
/// message in an AnalyzeBatch made the server emit error items endlessly
/// (the test client had 5 GB of them before it was killed). Nothing after
/// an undecodable message can be framed again, so the batch reports that
/// one error and ends.
pub fn end_after_error<S, T, E>(input: S) -> impl Stream<Item = Result<T, E>>
where
    S: Stream<Item = Result<T, E>>,
{
    let mut failed = false;
    input.take_while(move |r| {
        let go = !failed;
        failed |= r.is_err();
        futures::future::ready(go)
    })
}

/// Wrap a stream of responses: end it with DEADLINE_EXCEEDED at the
/// client's deadline, and call `on_end(items, code)` exactly once when it
/// ends, fails or is dropped (dropped = the client went away: CANCELLED).
pub fn finish_stream<S, T, E>(inner: S, deadline: Option<Instant>, on_end: E) -> FinishStream<T, E>
where
    S: Stream<Item = T> + Send + 'static,
    E: FnOnce(u64, Code),
{
    FinishStream {
        inner: Box::pin(inner),
        deadline: deadline.map(|d| Box::pin(tokio::time::sleep_until(d))),
        on_end: Some(on_end),
        items: 0,
        done: false,
    }
}

/// See [`finish_stream`].
pub struct FinishStream<T, E: FnOnce(u64, Code)> {
    inner: Pin<Box<dyn Stream<Item = T> + Send>>,
    deadline: Option<Pin<Box<Sleep>>>,
    on_end: Option<E>,
    items: u64,
    done: bool,
}

impl<T, E: FnOnce(u64, Code)> FinishStream<T, E> {
    fn end(&mut self, code: Code) {
        self.done = true;
        if let Some(f) = self.on_end.take() {
            f(self.items, code);
        }
    }
}

impl<T, E: FnOnce(u64, Code) + Unpin> Stream for FinishStream<T, E> {
    type Item = Result<T, Status>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.done {
            return Poll::Ready(None);
        }
        if let Some(d) = self.deadline.as_mut() {
            if d.as_mut().poll(cx).is_ready() {
                self.end(Code::DeadlineExceeded);
                return Poll::Ready(Some(Err(Status::deadline_exceeded(
                    "stream deadline exceeded: raise the deadline or send fewer articles per stream",
                ))));
            }
        }
        match self.inner.as_mut().poll_next(cx) {
            Poll::Ready(Some(v)) => {
                self.items += 1;
                Poll::Ready(Some(Ok(v)))
            }
            Poll::Ready(None) => {
                self.end(Code::Ok);
                Poll::Ready(None)
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T, E: FnOnce(u64, Code)> Drop for FinishStream<T, E> {
    fn drop(&mut self) {
        if !self.done {
            self.end(Code::Cancelled);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    #[tokio::test]
    async fn keeps_order_and_bounds_in_flight() {
        let live = Arc::new(Mutex::new((0usize, 0usize))); // (now, max)
        let l = live.clone();
        let out: Vec<u32> = ordered_window(futures::stream::iter(0..20u32), 3, move |i| {
            let l = l.clone();
            async move {
                {
                    let mut g = l.lock().unwrap();
                    g.0 += 1;
                    g.1 = g.1.max(g.0);
                }
                // Later items finish first: order must still hold.
                tokio::time::sleep(Duration::from_millis(u64::from(20 - i))).await;
                l.lock().unwrap().0 -= 1;
                i
            }
        })
        .collect()
        .await;
        assert_eq!(out, (0..20).collect::<Vec<_>>());
        assert!(live.lock().unwrap().1 <= 3);
    }

    #[tokio::test]
    async fn ends_after_the_first_error() {
        // An endless stream of errors after one good item, like tonic's
        // after a decode error.
        let input =
            futures::stream::iter(vec![Ok(1u8)]).chain(futures::stream::repeat(Err("undecodable")));
        let out: Vec<_> = end_after_error(input).collect().await;
        assert_eq!(out, vec![Ok(1), Err("undecodable")]);
        let clean: Vec<Result<u8, ()>> = end_after_error(futures::stream::iter(vec![Ok(1), Ok(2)]))
            .collect()
            .await;
        assert_eq!(clean, vec![Ok(1), Ok(2)]);
    }

    #[tokio::test]
    async fn reports_end_once() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s2 = seen.clone();
        let s = finish_stream(futures::stream::iter(0..3), None, move |n, c| {
            s2.lock().unwrap().push((n, c))
        });
        let v: Vec<_> = s.collect().await;
        assert_eq!(v.len(), 3);
        assert_eq!(*seen.lock().unwrap(), vec![(3, Code::Ok)]);

        let s3 = seen.clone();
        let mut s = finish_stream(futures::stream::pending::<u8>(), None, move |n, c| {
            s3.lock().unwrap().push((n, c))
        });
        let _ = futures::poll!(s.next());
        drop(s);
        assert_eq!(seen.lock().unwrap()[1], (0, Code::Cancelled));
    }
}
