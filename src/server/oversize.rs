//! Over-size messages get RESOURCE_EXHAUSTED, as the gRPC spec says.
//!
//! tonic's decoder refuses a message whose length prefix is over
//! `max_decoding_message_size` with OUT_OF_RANGE ("Error, decoded message
//! length too large: ..."), which callers and retry policies read as "a
//! field value out of range" rather than "too big for this server". The
//! refusal happens inside tonic's generated code before any handler runs,
//! so it cannot be changed at the source: this layer rewrites that one
//! status (recognised by code *and* tonic's message, so an OUT_OF_RANGE of
//! our own would pass untouched) in the trailers-only response, and
//! [`remap`] does the same for AnalyzeBatch items, where the decode error
//! arrives as an item of the inbound stream.

use http::{HeaderMap, Request, Response};
use std::task::{Context, Poll};
use tonic::{Code, Status};
use tower::{Layer, Service};

const TONIC_PREFIX: &str = "Error, decoded message length too large: found ";

/// The actionable RESOURCE_EXHAUSTED for tonic's over-size OUT_OF_RANGE,
/// or `None` if `s` is anything else.
pub fn oversize(s: &Status) -> Option<Status> {
    if s.code() != Code::OutOfRange {
        return None;
    }
    let rest = s.message().strip_prefix(TONIC_PREFIX)?;
    // "{found} bytes, the limit is: {limit} bytes"
    let mut nums = rest
        .split(|c: char| !c.is_ascii_digit())
        .filter(|w| !w.is_empty());
    let found = nums.next()?;
    let limit = nums.next()?;
    Some(Status::resource_exhausted(format!(
        "request message of {found} bytes is over this server's limit of {limit} bytes \
         (--max-message-bytes, counted after decompression): send a shorter article"
    )))
}

/// `s` itself, or its RESOURCE_EXHAUSTED rewrite when it is tonic's
/// over-size refusal.
pub fn remap(s: Status) -> Status {
    oversize(&s).unwrap_or(s)
}

fn rewrite_headers(headers: &mut HeaderMap) {
    // Cheap test first: only trailers-only responses carrying status 11.
    if headers.get("grpc-status").map(|v| v.as_bytes()) != Some(b"11") {
        return;
    }
    let Some(new) = Status::from_header_map(headers).and_then(|s| oversize(&s)) else {
        return;
    };
    headers.remove("grpc-status");
    headers.remove("grpc-message");
    headers.remove("grpc-status-details-bin");
    // Only fails on a message that is not a valid header value, which ours
    // (ASCII, percent-encoded by tonic) never is; the old status is gone
    // either way, so fall back to the bare code.
    if new.add_header(headers).is_err() {
        headers.insert("grpc-status", http::HeaderValue::from_static("8"));
    }
}

fn rewrite<B>(mut resp: Response<B>) -> Response<B> {
    rewrite_headers(resp.headers_mut());
    resp
}

/// The layer (no state: the limits are read back from tonic's message).
#[derive(Clone, Copy, Debug, Default)]
pub struct OversizeLayer;

impl<S> Layer<S> for OversizeLayer {
    type Service = Oversize<S>;
    fn layer(&self, inner: S) -> Self::Service {
        Oversize { inner }
    }
}

/// The service wrapper.
#[derive(Clone, Debug)]
pub struct Oversize<S> {
    inner: S,
}

impl<S, B, RB> Service<Request<B>> for Oversize<S>
where
    S: Service<Request<B>, Response = Response<RB>>,
{
    type Response = Response<RB>;
    type Error = S::Error;
    type Future = futures::future::MapOk<S::Future, fn(Response<RB>) -> Response<RB>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        use futures::TryFutureExt as _;
        self.inner
            .call(req)
            .map_ok(rewrite as fn(Response<RB>) -> Response<RB>)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tonic_refusal_becomes_resource_exhausted() {
        let s = Status::out_of_range(
            "Error, decoded message length too large: found 5242930 bytes, the limit is: 4194304 bytes",
        );
        let r = oversize(&s).expect("recognised");
        assert_eq!(r.code(), Code::ResourceExhausted);
        assert!(r.message().contains("5242930 bytes"), "{}", r.message());
        assert!(r.message().contains("limit of 4194304 bytes"));
        assert!(r.message().contains("--max-message-bytes"));
    }

    #[test]
    fn other_statuses_untouched() {
        assert!(oversize(&Status::out_of_range("index 7 out of range")).is_none());
        assert!(oversize(&Status::invalid_argument(
            "Error, decoded message length too large: found 1 bytes, the limit is: 0 bytes"
        ))
        .is_none());
        assert_eq!(remap(Status::internal("x")).code(), Code::Internal);
    }

    #[test]
    fn headers_rewritten_in_place() {
        let s = Status::out_of_range(
            "Error, decoded message length too large: found 10 bytes, the limit is: 5 bytes",
        );
        let mut h = s.into_http::<()>().into_parts().0.headers;
        rewrite_headers(&mut h);
        let back = Status::from_header_map(&h).expect("a status");
        assert_eq!(back.code(), Code::ResourceExhausted);
        assert!(back.message().contains("limit of 5 bytes"));
        let mut other = Status::out_of_range("mine")
            .into_http::<()>()
            .into_parts()
            .0
            .headers;
        rewrite_headers(&mut other);
        assert_eq!(
            Status::from_header_map(&other).unwrap().code(),
            Code::OutOfRange
        );
    }
}
