//! gRPC deadlines: the `grpc-timeout` header, capped by the server's own
//! request timeout.

use std::time::Duration;
use tokio::time::Instant;
use tonic::metadata::MetadataMap;

/// Parse a `grpc-timeout` value ("100m", "5S", "2H"...). Per the gRPC spec
/// it is at most 8 digits and one unit letter; anything else is ignored.
pub fn parse_grpc_timeout(v: &str) -> Option<Duration> {
    if v.len() < 2 || v.len() > 9 {
        return None;
    }
    let (digits, unit) = v.split_at(v.len() - 1);
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(n.saturating_mul(3600)),
        "M" => Duration::from_secs(n.saturating_mul(60)),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    })
}

/// The client's own deadline, if it sent one.
pub fn client_deadline(md: &MetadataMap) -> Option<Instant> {
    md.get("grpc-timeout")
        .and_then(|v| v.to_str().ok())
        .and_then(parse_grpc_timeout)
        .map(|d| Instant::now() + d)
}

/// When a call must be done: the earlier of the client's deadline and the
/// server's timeout.
pub fn call_deadline(md: &MetadataMap, server_timeout: Duration) -> Instant {
    let server = Instant::now() + server_timeout;
    match client_deadline(md) {
        Some(c) if c < server => c,
        _ => server,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units() {
        assert_eq!(parse_grpc_timeout("100m"), Some(Duration::from_millis(100)));
        assert_eq!(parse_grpc_timeout("5S"), Some(Duration::from_secs(5)));
        assert_eq!(parse_grpc_timeout("2H"), Some(Duration::from_secs(7200)));
        assert_eq!(parse_grpc_timeout("7u"), Some(Duration::from_micros(7)));
        assert_eq!(parse_grpc_timeout("m"), None);
        assert_eq!(parse_grpc_timeout("123456789S"), None);
        assert_eq!(parse_grpc_timeout("-1S"), None);
        assert_eq!(parse_grpc_timeout("10x"), None);
    }
}
