//! Optional bearer-token authentication as a tower layer.
//!
//! Health checks are always exempt (kubelet probes carry no token);
//! reflection is exempt only when configured. Tokens are compared in
//! constant time and never logged; a refused call gets UNAUTHENTICATED with
//! no hint about which part was wrong.

use http::{Request, Response};
use std::sync::Arc;
use std::task::{Context, Poll};
use subtle::ConstantTimeEq;
use tonic::Status;
use tower::{Layer, Service};

/// Accepted tokens.
#[derive(Clone)]
pub struct Tokens(Arc<Vec<Vec<u8>>>);

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Tokens({} redacted)", self.0.len())
    }
}

impl Tokens {
    /// One token per line; blank lines and `#` comments ignored.
    pub fn parse(contents: &str) -> Result<Self, String> {
        let toks: Vec<Vec<u8>> = contents
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(|l| l.as_bytes().to_vec())
            .collect();
        if toks.is_empty() {
            return Err("the auth tokens file holds no token (one per line)".into());
        }
        if toks.iter().any(|t| t.len() < 16) {
            return Err("auth tokens must be at least 16 characters".into());
        }
        Ok(Tokens(Arc::new(toks)))
    }

    /// Constant-time check against every token (no early exit on a match).
    pub fn accepts(&self, presented: &[u8]) -> bool {
        let mut ok = subtle::Choice::from(0u8);
        for t in self.0.iter() {
            ok |= t.as_slice().ct_eq(presented);
        }
        ok.into()
    }
}

/// The layer.
#[derive(Clone, Debug)]
pub struct AuthLayer {
    tokens: Option<Tokens>,
    exempt_reflection: bool,
}

impl AuthLayer {
    pub fn new(tokens: Option<Tokens>, exempt_reflection: bool) -> Self {
        AuthLayer {
            tokens,
            exempt_reflection,
        }
    }
}

impl<S> Layer<S> for AuthLayer {
    type Service = Auth<S>;
    fn layer(&self, inner: S) -> Self::Service {
        Auth {
            inner,
            tokens: self.tokens.clone(),
            exempt_reflection: self.exempt_reflection,
        }
    }
}

/// The service wrapper.
#[derive(Clone, Debug)]
pub struct Auth<S> {
    inner: S,
    tokens: Option<Tokens>,
    exempt_reflection: bool,
}

fn is_exempt(path: &str, exempt_reflection: bool) -> bool {
    path.starts_with("/grpc.health.v1.Health/")
        || (exempt_reflection && path.starts_with("/grpc.reflection."))
}

impl<S, B, RB> Service<Request<B>> for Auth<S>
where
    S: Service<Request<B>, Response = Response<RB>>,
    S::Future: Send + 'static,
    RB: Default + Send + 'static,
{
    type Response = Response<RB>;
    type Error = S::Error;
    type Future =
        futures::future::Either<S::Future, futures::future::Ready<Result<Response<RB>, S::Error>>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let Some(tokens) = &self.tokens else {
            return futures::future::Either::Left(self.inner.call(req));
        };
        if is_exempt(req.uri().path(), self.exempt_reflection) {
            return futures::future::Either::Left(self.inner.call(req));
        }
        let ok = req
            .headers()
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.as_bytes().strip_prefix(b"Bearer "))
            .is_some_and(|t| tokens.accepts(t));
        if ok {
            futures::future::Either::Left(self.inner.call(req))
        } else {
            let resp = Status::unauthenticated("missing or invalid bearer token").into_http();
            futures::future::Either::Right(futures::future::ready(Ok(resp)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_file_parsing_and_check() {
        let t = Tokens::parse("# ops\n\nabcdefghijklmnop0\n  qrstuvwxyz0123456  \n").unwrap();
        assert!(t.accepts(b"abcdefghijklmnop0"));
        assert!(t.accepts(b"qrstuvwxyz0123456"));
        assert!(!t.accepts(b"abcdefghijklmnop"));
        assert!(!t.accepts(b""));
        assert!(Tokens::parse("\n# nothing\n").is_err());
        assert!(Tokens::parse("short\n").is_err());
        assert!(!format!("{t:?}").contains("abcdef"));
    }

    #[test]
    fn exemptions() {
        assert!(is_exempt("/grpc.health.v1.Health/Check", false));
        assert!(!is_exempt(
            "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
            false
        ));
        assert!(is_exempt(
            "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
            true
        ));
        assert!(!is_exempt("/nutgraf.v1.ArticleService/Analyze", true));
    }
}
