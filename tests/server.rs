//! The real gRPC server over loopback, called with the generated tonic
//! client: every RPC, the contract's fields and offsets, errors, streaming
//! order, batches with backpressure, cancellation, deadlines, overload,
//! graceful shutdown, health, reflection, compression, metrics, auth.

mod common;

use common::*;
use futures::StreamExt;
use nutgraf::proto::v1 as pb;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tonic::Code;

fn check_offsets(text: &str, resp: &pb::AnalyzeResponse) {
    let summary = resp.summary.as_ref().expect("summary present");
    let mut last = None;
    for s in &summary.sentences {
        assert!(s.start < s.end, "empty sentence span");
        assert_eq!(
            cp_slice(text, s.start, s.end),
            s.text,
            "sentence offsets are code points"
        );
        if let Some(prev) = last {
            assert!(s.index > prev, "summary in document order");
        }
        last = Some(s.index);
    }
    for e in &resp.entities {
        assert!(!e.mentions.is_empty());
        assert!((0.0..=1.0).contains(&e.salience));
        for m in &e.mentions {
            assert_eq!(
                cp_slice(text, m.start, m.end),
                m.text,
                "mention offsets are code points"
            );
        }
    }
    for w in resp.entities.windows(2) {
        assert!(
            w[0].salience >= w[1].salience,
            "entities sorted by salience"
        );
    }
    for w in resp.topics.windows(2) {
        assert!(w[0].score >= w[1].score, "topics sorted by score");
    }
    for t in &resp.topics {
        assert!(t.iptc_code.starts_with("medtop:"), "{t:?}");
        assert!((0.0..=1.0).contains(&t.score));
    }
}

#[tokio::test]
async fn analyze_arabic_article_fills_the_contract() {
    let (srv, mut c) = start(&[]).await;
    let resp = c.analyze(req("a-1", AR)).await.expect("OK").into_inner();
    assert_eq!(resp.id, "a-1");
    assert_eq!(resp.language, "ar");
    let summary = resp.summary.as_ref().unwrap();
    assert!(!summary.sentences.is_empty());
    check_offsets(AR, &resp);
    // Boilerplate and bylines never reach the summary.
    for s in &summary.sentences {
        assert!(
            !s.text.contains("اترك تعليق") && !s.text.contains("بريدك الإلكتروني"),
            "{}",
            s.text
        );
        assert!(
            !s.text.contains("سعاد المنصوري"),
            "byline in summary: {}",
            s.text
        );
    }
    let stats = resp.stats.unwrap();
    assert_eq!(stats.chars as usize, AR.chars().count());
    srv.shutdown();
    srv.wait().await.unwrap();
}

#[tokio::test]
async fn analyze_french_and_english_and_hints() {
    let (srv, mut c) = start(&[]).await;
    for (text, lang) in [(FR, "fr"), (EN, "en")] {
        let resp = c.analyze(req("x", text)).await.unwrap().into_inner();
        assert_eq!(resp.language, lang);
        check_offsets(text, &resp);
    }
    // The hint wins, regional variants accepted.
    let mut r = req("h", EN);
    r.language = "fr-FR".into();
    let resp = c.analyze(r).await.unwrap().into_inner();
    assert_eq!(resp.language, "fr");
    assert!(resp.stats.unwrap().language_from_hint);
    srv.shutdown();
}

#[tokio::test]
async fn bad_requests_get_clear_statuses() {
    let (srv, mut c) = start(&["--max-text-bytes=5000"]).await;
    for blank in ["", "   \n\t ", "\u{200B}\u{200F}\u{202E} \u{2066}"] {
        let e = c.analyze(req("b", blank)).await.unwrap_err();
        assert_eq!(e.code(), Code::InvalidArgument);
        assert!(e.message().contains("empty or blank"), "{}", e.message());
    }
    let mut r = req("l", EN);
    r.language = "de".into();
    let e = c.analyze(r).await.unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    assert!(
        e.message().contains("\"ar\", \"fr\" or \"en\""),
        "{}",
        e.message()
    );

    let at_limit = "a".repeat(4999) + ".";
    assert_eq!(at_limit.len(), 5000);
    c.analyze(req("at", &at_limit))
        .await
        .expect("text exactly at the limit is accepted");
    let over = at_limit.clone() + "b";
    let e = c.analyze(req("over", &over)).await.unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    assert!(
        e.message().contains("5000"),
        "names the limit: {}",
        e.message()
    );

    let mut r = req("p", EN);
    r.parts = vec![42];
    assert_eq!(
        c.analyze(r).await.unwrap_err().code(),
        Code::InvalidArgument
    );
    let mut r = req("r", EN);
    r.summary = Some(pb::SummaryOptions {
        ratio: 1.5,
        ..Default::default()
    });
    assert_eq!(
        c.analyze(r).await.unwrap_err().code(),
        Code::InvalidArgument
    );
    let e = c.analyze(req(&"i".repeat(10_000), EN)).await.unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    assert!(e.message().contains("id"));
    // The server keeps serving.
    c.analyze(req("ok", EN)).await.expect("still serving");
    srv.shutdown();
}

#[tokio::test]
async fn parts_and_lengths() {
    let (srv, mut c) = start(&[]).await;
    let mut r = req("t", AR);
    r.parts = vec![pb::Part::Topics as i32];
    let resp = c.analyze(r).await.unwrap().into_inner();
    assert!(resp.entities.is_empty());
    assert!(resp.summary.map(|s| s.sentences.is_empty()).unwrap_or(true));

    let mut r = req("s", AR);
    r.summary = Some(pb::SummaryOptions {
        max_sentences: 1,
        ..Default::default()
    });
    let resp = c.analyze(r).await.unwrap().into_inner();
    assert_eq!(resp.summary.unwrap().sentences.len(), 1);

    let mut r = req("all", AR);
    r.summary = Some(pb::SummaryOptions {
        max_sentences: u32::MAX,
        ..Default::default()
    });
    let resp = c.analyze(r).await.unwrap().into_inner();
    let n = resp.summary.unwrap().sentences.len() as u32;
    assert_eq!(
        n,
        resp.stats.unwrap().body_sentences,
        "huge max_sentences returns every body sentence"
    );
    srv.shutdown();
}

#[tokio::test]
async fn stream_events_come_in_contract_order() {
    let (srv, mut c) = start(&[]).await;
    let mut s = c.analyze_stream(req("s-1", AR)).await.unwrap().into_inner();
    let mut kinds = Vec::new();
    let mut done = None;
    while let Some(ev) = s.next().await {
        let ev = ev.expect("no error");
        assert_eq!(ev.id, "s-1");
        use pb::analyze_event::Event as E;
        match ev.event.expect("event set") {
            E::Language(l) => {
                assert_eq!(l, "ar");
                kinds.push(0)
            }
            E::Topic(_) => kinds.push(1),
            E::Sentence(sn) => {
                assert_eq!(cp_slice(AR, sn.start, sn.end), sn.text);
                kinds.push(2)
            }
            E::Entity(_) => kinds.push(3),
            E::Done(r) => {
                kinds.push(4);
                done = Some(r)
            }
        }
    }
    assert_eq!(kinds.first(), Some(&0), "language first");
    assert_eq!(kinds.last(), Some(&4), "done last");
    assert!(
        kinds.windows(2).all(|w| w[0] <= w[1]),
        "order language, topics, sentences, entities, done: {kinds:?}"
    );
    assert!(kinds.contains(&2), "sentences streamed");
    let done = done.unwrap();
    check_offsets(AR, &done);
    assert!(done.stats.is_some());
    srv.shutdown();
}

#[tokio::test]
async fn stream_validation_errors_are_statuses() {
    let (srv, mut c) = start(&[]).await;
    let e = c.analyze_stream(req("e", " ")).await.unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    srv.shutdown();
}

#[tokio::test]
async fn batch_keeps_ids_order_and_reports_item_errors() {
    let (srv, mut c) = start(&[]).await;
    let mut reqs = Vec::new();
    for i in 0..30 {
        let text = match i % 3 {
            0 => AR,
            1 => FR,
            _ => EN,
        };
        reqs.push(req(&format!("id-{i}"), text));
    }
    reqs[7].text = "   ".into();
    reqs[11].language = "xx".into();
    let mut out = c
        .analyze_batch(futures::stream::iter(reqs))
        .await
        .unwrap()
        .into_inner();
    let mut n = 0;
    while let Some(r) = out.next().await {
        let r = r.expect("stream never fails for a bad item");
        assert_eq!(r.id, format!("id-{n}"));
        match n {
            7 | 11 => {
                let e = r.error.expect("item error");
                assert_eq!(e.code, Code::InvalidArgument as i32);
                assert_eq!(e.status, "INVALID_ARGUMENT");
                assert!(!e.message.is_empty());
            }
            _ => assert!(r.error.is_none() && !r.language.is_empty()),
        }
        n += 1;
    }
    assert_eq!(n, 30);
    srv.shutdown();
}

#[tokio::test]
async fn dropping_a_stream_cancels_the_work() {
    let (srv, mut c) = start(&["--worker-threads=1"]).await;
    let big = long_text(900_000);
    let t = Instant::now();
    let mut s = c
        .analyze_stream(req("big", &big))
        .await
        .unwrap()
        .into_inner();
    let first = s.next().await.unwrap().unwrap();
    assert!(matches!(
        first.event,
        Some(pb::analyze_event::Event::Language(_))
    ));
    drop(s);
    // The pool must be free again well before a full analysis would end.
    let freed = wait_idle(&srv, t, Duration::from_secs(20)).await;
    assert!(freed, "work still running after the client left");
    // And the same big article runs to completion when read.
    let resp = c.analyze(req("big2", &big)).await.unwrap().into_inner();
    assert!(!resp.summary.unwrap().sentences.is_empty());
    srv.shutdown();
}

#[tokio::test]
async fn deadlines_are_honoured() {
    let big = long_text(1_000_000);
    // A client deadline: the client sees DEADLINE_EXCEEDED (or CANCELLED
    // when its own timer fires first), and the server drops the work.
    let (srv, mut c) = start(&["--worker-threads=1"]).await;
    let mut r = tonic::Request::new(req("d", &big));
    r.set_timeout(Duration::from_millis(20));
    let t = Instant::now();
    let e = c.analyze(r).await.unwrap_err();
    assert!(
        matches!(e.code(), Code::DeadlineExceeded | Code::Cancelled),
        "{e:?}"
    );
    assert!(
        t.elapsed() < Duration::from_secs(2),
        "deadline not honoured"
    );
    let freed = wait_idle(&srv, t, Duration::from_secs(20)).await;
    assert!(freed, "work kept running after the deadline");

    // The server's own timeout applies when the client sends none: unary
    // and streaming calls end with DEADLINE_EXCEEDED from the server.
    let (srv2, mut c2) = start(&["--worker-threads=1", "--request-timeout=1ms"]).await;
    let e = c2.analyze(req("d2", &big)).await.unwrap_err();
    assert_eq!(e.code(), Code::DeadlineExceeded, "{e:?}");
    let mut s = c2
        .analyze_stream(req("d3", &big))
        .await
        .unwrap()
        .into_inner();
    let mut last = None;
    while let Some(ev) = s.next().await {
        last = Some(ev);
    }
    assert_eq!(last.unwrap().unwrap_err().code(), Code::DeadlineExceeded);
    srv.shutdown();
    srv2.shutdown();
}

#[tokio::test]
async fn overload_gets_resource_exhausted_at_once() {
    let (srv, c) = start(&["--worker-threads=1", "--max-concurrent-analyses=1"]).await;
    let big = Arc::new(long_text(300_000));
    let mut handles = Vec::new();
    for i in 0..12 {
        let mut c = c.clone();
        let big = big.clone();
        handles.push(tokio::spawn(async move {
            let t = Instant::now();
            let r = c.analyze(req(&i.to_string(), &big)).await;
            (r.map(|_| ()).map_err(|e| e.code()), t.elapsed())
        }));
    }
    let mut ok = 0;
    let mut rejected = 0;
    for h in handles {
        match h.await.unwrap() {
            (Ok(()), _) => ok += 1,
            (Err(Code::ResourceExhausted), took) => {
                rejected += 1;
                assert!(
                    took < Duration::from_secs(2),
                    "rejection must be quick, took {took:?}"
                );
            }
            (Err(other), _) => panic!("unexpected {other:?}"),
        }
    }
    assert!(ok >= 1 && rejected >= 1, "ok {ok}, rejected {rejected}");
    let m = http_get(srv.metrics_addr, "/metrics").await;
    assert!(m.contains("nutgraf_rejected_total{reason=\"overloaded\"}"));
    srv.shutdown();
}

#[tokio::test]
async fn graceful_shutdown_drains_a_running_stream() {
    let (srv, mut c) = start(&["--worker-threads=1", "--shutdown-grace=30s"]).await;
    let reqs: Vec<_> = (0..40).map(|i| req(&i.to_string(), AR)).collect();
    let mut out = c
        .analyze_batch(futures::stream::iter(reqs))
        .await
        .unwrap()
        .into_inner();
    let first = out.next().await.unwrap().unwrap();
    assert_eq!(first.id, "0");
    let addr = srv.grpc_addr;
    srv.shutdown();
    let mut n = 1;
    while let Some(r) = out.next().await {
        let r = r.expect("in-flight stream completes during the drain");
        assert!(r.error.is_none());
        n += 1;
    }
    assert_eq!(n, 40);
    srv.wait().await.expect("clean exit");
    // New connections are refused once stopped.
    let again = tonic::transport::Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect_timeout(Duration::from_millis(500))
        .connect()
        .await;
    assert!(again.is_err());
}

#[tokio::test]
async fn health_and_reflection() {
    use tonic_health::pb::health_check_response::ServingStatus;
    use tonic_health::pb::{health_client::HealthClient, HealthCheckRequest};
    let (srv, _c) = start(&[]).await;
    let ch = channel(&srv).await;
    let mut h = HealthClient::new(ch.clone());
    for svc in ["", "nutgraf.v1.ArticleService"] {
        let r = h
            .check(HealthCheckRequest {
                service: svc.into(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(r.status, ServingStatus::Serving as i32, "{svc}");
    }

    // Reflection v1 and v1alpha both list our service.
    {
        use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
        use tonic_reflection::pb::v1::{
            server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
            ServerReflectionRequest,
        };
        let mut r = ServerReflectionClient::new(ch.clone());
        let mut s = r
            .server_reflection_info(futures::stream::iter(vec![ServerReflectionRequest {
                host: String::new(),
                message_request: Some(MessageRequest::ListServices(String::new())),
            }]))
            .await
            .unwrap()
            .into_inner();
        let resp = s.next().await.unwrap().unwrap();
        let Some(MessageResponse::ListServicesResponse(l)) = resp.message_response else {
            panic!()
        };
        let names: Vec<_> = l.service.iter().map(|s| s.name.as_str()).collect();
        assert!(names.contains(&"nutgraf.v1.ArticleService"), "{names:?}");
        assert!(names.contains(&"grpc.health.v1.Health"), "{names:?}");
    }
    {
        use tonic_reflection::pb::v1alpha::server_reflection_client::ServerReflectionClient;
        use tonic_reflection::pb::v1alpha::{
            server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
            ServerReflectionRequest,
        };
        let mut r = ServerReflectionClient::new(ch.clone());
        let mut s = r
            .server_reflection_info(futures::stream::iter(vec![ServerReflectionRequest {
                host: String::new(),
                message_request: Some(MessageRequest::FileContainingSymbol(
                    "nutgraf.v1.ArticleService".into(),
                )),
            }]))
            .await
            .unwrap()
            .into_inner();
        let resp = s.next().await.unwrap().unwrap();
        assert!(matches!(
            resp.message_response,
            Some(MessageResponse::FileDescriptorResponse(_))
        ));
    }

    // Health flips to NOT_SERVING on shutdown... observed through Watch.
    let mut watch = h
        .watch(HealthCheckRequest {
            service: "nutgraf.v1.ArticleService".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        watch.next().await.unwrap().unwrap().status,
        ServingStatus::Serving as i32
    );
    srv.shutdown();
    let next = tokio::time::timeout(Duration::from_secs(5), watch.next()).await;
    if let Ok(Some(Ok(r))) = next {
        assert_eq!(r.status, ServingStatus::NotServing as i32);
    }
}

#[tokio::test]
async fn model_info_lists_labels_models_and_limits() {
    let (srv, mut c) = start(&[]).await;
    let info = c
        .get_model_info(pb::GetModelInfoRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(info.languages, vec!["ar", "fr", "en"]);
    assert_eq!(info.topic_labels.len(), 17);
    let politics = info
        .topic_labels
        .iter()
        .find(|l| l.label == "politics")
        .unwrap();
    assert_eq!(politics.iptc_code, "medtop:11000000");
    assert!(politics.languages.contains(&"ar".to_string()));
    let weather = info
        .topic_labels
        .iter()
        .find(|l| l.label == "weather")
        .unwrap();
    assert!(
        weather.languages.is_empty(),
        "no training data: never predicted"
    );
    assert_eq!(info.models.len(), 2);
    assert!(info
        .models
        .iter()
        .all(|m| m.sha256.len() == 64 && m.size_bytes > 0));
    let limits = info.limits.unwrap();
    assert_eq!(limits.max_text_bytes, 1 << 20);
    srv.shutdown();
}

#[tokio::test]
async fn gzip_and_zstd_both_ways() {
    use tonic::codec::CompressionEncoding::{Gzip, Zstd};
    let (srv, c) = start(&[]).await;
    for enc in [Gzip, Zstd] {
        let mut c = c.clone().send_compressed(enc).accept_compressed(enc);
        let resp = c.analyze(req("z", FR)).await.unwrap().into_inner();
        assert_eq!(resp.language, "fr");
    }
    srv.shutdown();
}

#[tokio::test]
async fn metrics_move_after_calls() {
    let (srv, mut c) = start(&[]).await;
    c.analyze(req("m", AR)).await.unwrap();
    let _ = c.analyze(req("m", "")).await;
    let m = http_get(srv.metrics_addr, "/metrics").await;
    assert!(m.starts_with("HTTP/1.1 200"), "{m}");
    assert!(
        m.contains("nutgraf_grpc_requests_total{code=\"OK\",method=\"Analyze\"} 1"),
        "{m}"
    );
    assert!(
        m.contains("nutgraf_grpc_requests_total{code=\"INVALID_ARGUMENT\",method=\"Analyze\"} 1")
    );
    assert!(m.contains("nutgraf_articles_total{language=\"ar\"} 1"));
    assert!(m.contains("nutgraf_grpc_request_duration_seconds_bucket"));
    assert!(m.contains("nutgraf_model_info{name=\"ner\""));
    assert!(m.contains("nutgraf_analyses_in_flight"));
    srv.shutdown();
}

#[tokio::test]
async fn bearer_auth_exempts_health() {
    let dir = std::env::temp_dir().join(format!("nutgraf-auth-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("tokens");
    std::fs::write(&f, "# test\ns3cret-token-0123456789\n").unwrap();
    let (srv, mut c) = start(&[&format!("--auth-tokens-file={}", f.display())]).await;
    let e = c.analyze(req("a", EN)).await.unwrap_err();
    assert_eq!(e.code(), Code::Unauthenticated);
    assert!(!e.message().contains("s3cret"));
    let mut r = tonic::Request::new(req("a", EN));
    r.metadata_mut().insert(
        "authorization",
        "Bearer s3cret-token-0123456789".parse().unwrap(),
    );
    c.analyze(r).await.expect("token accepted");
    let mut r = tonic::Request::new(req("a", EN));
    r.metadata_mut().insert(
        "authorization",
        "Bearer wrong-token-0123456789".parse().unwrap(),
    );
    assert_eq!(
        c.analyze(r).await.unwrap_err().code(),
        Code::Unauthenticated
    );
    let mut h = tonic_health::pb::health_client::HealthClient::new(channel(&srv).await);
    h.check(tonic_health::pb::HealthCheckRequest {
        service: String::new(),
    })
    .await
    .expect("health needs no token");
    srv.shutdown();
}
