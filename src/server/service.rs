//! The `nutgraf.v1.ArticleService` handlers: validate, admit, run the
//! pipeline on the CPU pool, map the result. No NLP happens here.

use super::convert;
use super::deadline::call_deadline;
use super::metrics::{code_name, Metrics};
use super::pool::{CancelFlag, CpuPool, PoolError};
use crate::classify::TopicLabel;
use crate::pipeline::{Analysis, Analyzer, Event};
use crate::proto::v1 as pb;
use crate::text::Lang;
use futures::Stream;
use std::ops::ControlFlow;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::time::Instant as TokioInstant;
use tonic::{Code, Request, Response, Status, Streaming};
use tracing::{field, info_span, Instrument, Span};

/// Service-level settings (the rest of the config lives in the server).
#[derive(Clone, Debug)]
pub struct ServiceSettings {
    pub request_timeout: Duration,
    pub batch_window: usize,
    pub max_message_bytes: usize,
    pub log_text: bool,
}

/// Shared state of the handlers.
#[derive(Clone, Debug)]
pub struct ArticleSvc {
    analyzer: Arc<Analyzer>,
    pool: Arc<CpuPool>,
    metrics: Arc<Metrics>,
    settings: ServiceSettings,
    draining: Arc<AtomicBool>,
}

type EventStream = Pin<Box<dyn Stream<Item = Result<pb::AnalyzeEvent, Status>> + Send>>;
type ResponseStream = Pin<Box<dyn Stream<Item = Result<pb::AnalyzeResponse, Status>> + Send>>;

impl ArticleSvc {
    pub fn new(
        analyzer: Arc<Analyzer>,
        pool: Arc<CpuPool>,
        metrics: Arc<Metrics>,
        settings: ServiceSettings,
        draining: Arc<AtomicBool>,
    ) -> Self {
        ArticleSvc {
            analyzer,
            pool,
            metrics,
            settings,
            draining,
        }
    }

    fn refuse_if_draining(&self) -> Result<(), Status> {
        if self.draining.load(Ordering::Relaxed) {
            self.metrics.rejected("draining");
            return Err(Status::unavailable(
                "server is shutting down: retry on another instance",
            ));
        }
        Ok(())
    }

    fn overloaded(&self) -> Status {
        self.metrics.rejected("overloaded");
        Status::resource_exhausted(format!(
            "server is at its limit of {} concurrent analyses: retry with backoff, or use AnalyzeBatch which queues",
            self.pool.max_in_flight()
        ))
    }

    fn queue_full(&self) -> Status {
        self.metrics.rejected("queue_full");
        Status::resource_exhausted(format!(
            "server is at its limit of {} concurrent analyses and {} waiting ones: retry with backoff",
            self.pool.max_in_flight(),
            self.pool.max_waiting()
        ))
    }

    fn pool_status(&self, e: PoolError) -> Status {
        match e {
            PoolError::Overloaded => self.overloaded(),
            PoolError::QueueFull => self.queue_full(),
            PoolError::Unavailable => {
                Status::internal("analysis failed unexpectedly; the error was logged")
            }
        }
    }

    /// Validate (cheap, on the async side), then analyse one article on the
    /// pool. `sink` gets the pipeline's events on the worker thread.
    async fn run_one<S>(
        &self,
        msg: pb::AnalyzeRequest,
        admission: super::pool::Admission,
        deadline: TokioInstant,
        sink: S,
    ) -> Result<Analysis, Status>
    where
        S: FnMut(Event<'_>) -> ControlFlow<()> + Send + 'static,
    {
        let analyzer = self.analyzer.clone();
        let mut sink = sink;
        let job = move |cancel: &CancelFlag| {
            let req = convert::request(&msg).map_err(Status::from)?;
            analyzer
                .analyze(&req, &mut |ev| {
                    if cancel.is_cancelled() {
                        return ControlFlow::Break(());
                    }
                    sink(ev)
                })
                .map_err(|e| convert::status(&e))
        };
        let fut = self.pool.run(admission, CancelFlag::default(), job);
        match tokio::time::timeout_at(deadline, fut).await {
            Err(_) => Err(Status::deadline_exceeded(
                "deadline exceeded before the analysis finished: raise the deadline or send a shorter text",
            )),
            Ok(Err(e)) => Err(self.pool_status(e)),
            Ok(Ok((Err(s), _))) => Err(s),
            Ok(Ok((Ok(mut a), waited))) => {
                a.stats.queue_us = waited.as_micros() as u64;
                self.metrics.analysis(&a);
                Ok(a)
            }
        }
    }

    /// Check the request before queueing work.
    fn check(&self, msg: &pb::AnalyzeRequest) -> Result<(), Status> {
        let req = convert::request(msg).map_err(Status::from)?;
        self.analyzer
            .validate(&req)
            .map(|_| ())
            .map_err(|e| convert::status(&e))
    }

    fn span(
        &self,
        method: &'static str,
        md: &tonic::metadata::MetadataMap,
        msg: &pb::AnalyzeRequest,
    ) -> Span {
        // The id is logged before it is validated: clip it, or one call with
        // a multi-megabyte id writes megabytes into every log line of the
        // call (issue 8, found with a 1 MB id).
        let id: String = if msg.id.len() > 256 {
            msg.id
                .chars()
                .take(64)
                .chain(std::iter::once('…'))
                .collect()
        } else {
            msg.id.clone()
        };
        let span = info_span!(
            "rpc",
            method,
            id = %id,
            bytes = msg.text.len(),
            language = field::Empty,
            code = field::Empty,
            latency_ms = field::Empty,
        );
        crate::telemetry::link_parent(&span, md);
        if self.settings.log_text {
            tracing::debug!(parent: &span, text = %msg.text, "request text");
        }
        span
    }

    fn finish(&self, span: &Span, method: &'static str, code: Code, started: Instant) {
        let elapsed = started.elapsed();
        span.record("code", code_name(code));
        span.record("latency_ms", elapsed.as_secs_f64() * 1e3);
        self.metrics.call(method, code, elapsed);
        let _e = span.enter();
        if code == Code::Ok {
            tracing::info!("done");
        } else {
            tracing::warn!("done");
        }
    }
}

/// Records a unary call's outcome when dropped, whether the handler ran to
/// the end or was dropped because the client left.
struct CallGuard<'a> {
    svc: &'a ArticleSvc,
    span: Span,
    method: &'static str,
    started: Instant,
    code: Option<Code>,
}

impl Drop for CallGuard<'_> {
    fn drop(&mut self) {
        if let Some(code) = self.code.take() {
            self.svc.finish(&self.span, self.method, code, self.started);
        }
    }
}

fn code_of<T>(r: &Result<T, Status>) -> Code {
    match r {
        Ok(_) => Code::Ok,
        Err(s) => s.code(),
    }
}

#[tonic::async_trait]
impl pb::article_service_server::ArticleService for ArticleSvc {
    async fn analyze(
        &self,
        request: Request<pb::AnalyzeRequest>,
    ) -> Result<Response<pb::AnalyzeResponse>, Status> {
        let started = Instant::now();
        let deadline = call_deadline(request.metadata(), self.settings.request_timeout);
        let (md, _, msg) = request.into_parts();
        let span = self.span("Analyze", &md, &msg);
        // If the client goes away, this future is dropped mid-await: the
        // guard still records the call, as CANCELLED.
        let mut guard = CallGuard {
            svc: self,
            span: span.clone(),
            method: "Analyze",
            started,
            code: Some(Code::Cancelled),
        };
        let result = async {
            self.refuse_if_draining()?;
            self.check(&msg)?;
            let admission = self.pool.try_admit().map_err(|_| self.overloaded())?;
            let a = self
                .run_one(msg, admission, deadline, |_| ControlFlow::Continue(()))
                .await?;
            Span::current().record("language", a.language);
            Ok(Response::new(convert::response(&a)))
        }
        .instrument(span.clone())
        .await;
        guard.code = Some(code_of(&result));
        drop(guard);
        result
    }

    type AnalyzeStreamStream = EventStream;

    async fn analyze_stream(
        &self,
        request: Request<pb::AnalyzeRequest>,
    ) -> Result<Response<Self::AnalyzeStreamStream>, Status> {
        let started = Instant::now();
        let deadline = call_deadline(request.metadata(), self.settings.request_timeout);
        let (md, _, msg) = request.into_parts();
        let span = self.span("AnalyzeStream", &md, &msg);
        let checked = self.refuse_if_draining().and_then(|_| self.check(&msg));
        if let Err(s) = checked {
            self.finish(&span, "AnalyzeStream", s.code(), started);
            return Err(s);
        }
        // Events go through an unbounded channel: one article's events are
        // bounded by the article's size, and a worker thread must never block
        // on a slow reader. A closed channel (client gone) stops the work.
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<Result<pb::AnalyzeEvent, Status>>();
        let this = self.clone();
        let id = msg.id.clone();
        self.metrics.streams_open.inc();
        tokio::spawn(
            async move {
                let work = async {
                    let admission = tokio::time::timeout_at(deadline, this.pool.admit())
                        .await
                        .map_err(|_| {
                            Status::deadline_exceeded(
                                "deadline exceeded while waiting for a free worker",
                            )
                        })?
                        .map_err(|e| this.pool_status(e))?;
                    let ev_tx = tx.clone();
                    let ev_id = id.clone();
                    let a = this
                        .run_one(msg, admission, deadline, move |ev| {
                            let event = match ev {
                                Event::Language(l) => {
                                    pb::analyze_event::Event::Language(l.to_string())
                                }
                                Event::Topic(t) => {
                                    pb::analyze_event::Event::Topic(convert::topic(t))
                                }
                                Event::Sentence(s) => {
                                    pb::analyze_event::Event::Sentence(convert::sentence(s))
                                }
                                Event::Entity(e) => {
                                    pb::analyze_event::Event::Entity(convert::entity(e))
                                }
                                Event::Checkpoint => {
                                    return if ev_tx.is_closed() {
                                        ControlFlow::Break(())
                                    } else {
                                        ControlFlow::Continue(())
                                    }
                                }
                            };
                            let sent = ev_tx.send(Ok(pb::AnalyzeEvent {
                                id: ev_id.clone(),
                                event: Some(event),
                            }));
                            if sent.is_err() {
                                ControlFlow::Break(())
                            } else {
                                ControlFlow::Continue(())
                            }
                        })
                        .await?;
                    Span::current().record("language", a.language);
                    let _ = tx.send(Ok(pb::AnalyzeEvent {
                        id: id.clone(),
                        event: Some(pb::analyze_event::Event::Done(convert::response(&a))),
                    }));
                    Ok::<(), Status>(())
                };
                // Stop as soon as the client goes away, even while queued.
                let result = tokio::select! {
                    r = work => r,
                    _ = tx.closed() => Err(Status::cancelled("client went away")),
                };
                if let Err(s) = &result {
                    let _ = tx.send(Err(s.clone()));
                }
                this.metrics.streams_open.dec();
                this.finish(&Span::current(), "AnalyzeStream", code_of(&result), started);
            }
            .instrument(span),
        );
        Ok(Response::new(Box::pin(
            tokio_stream::wrappers::UnboundedReceiverStream::new(rx),
        )))
    }

    type AnalyzeBatchStream = ResponseStream;

    async fn analyze_batch(
        &self,
        request: Request<Streaming<pb::AnalyzeRequest>>,
    ) -> Result<Response<Self::AnalyzeBatchStream>, Status> {
        self.refuse_if_draining()?;
        let started = Instant::now();
        // The client's grpc-timeout bounds the whole stream; the server's
        // request timeout bounds each article.
        let client_deadline = super::deadline::client_deadline(request.metadata());
        let span = info_span!(
            "rpc",
            method = "AnalyzeBatch",
            items = field::Empty,
            code = field::Empty,
            latency_ms = field::Empty
        );
        crate::telemetry::link_parent(&span, request.metadata());
        // Stop reading at the first undecodable message (see
        // `end_after_error`: tonic would otherwise yield errors forever).
        let inbound = super::stream::end_after_error(request.into_inner());
        let this = self.clone();
        self.metrics.streams_open.inc();
        let per_item = self.settings.request_timeout;
        let items =
            super::stream::ordered_window(inbound, self.settings.batch_window, move |item| {
                let this = this.clone();
                async move {
                    let msg = match item {
                        Ok(m) => m,
                        // A message that could not be decoded (bad UTF-8, too
                        // large) has no id we can read; report it in order.
                        // It is the last item: the stream ends after it.
                        Err(s) => {
                            this.metrics.rejected("undecodable");
                            return convert::item_error("", &super::oversize::remap(s));
                        }
                    };
                    let id = msg.id.clone();
                    if let Err(s) = this.check(&msg) {
                        this.metrics.rejected("invalid");
                        return convert::item_error(&id, &s);
                    }
                    let deadline = TokioInstant::now() + per_item;
                    let admission = match tokio::time::timeout_at(deadline, this.pool.admit()).await
                    {
                        Ok(Ok(a)) => a,
                        Ok(Err(e)) => return convert::item_error(&id, &this.pool_status(e)),
                        Err(_) => {
                            return convert::item_error(
                                &id,
                                &Status::deadline_exceeded("timed out waiting for a free worker"),
                            )
                        }
                    };
                    match this
                        .run_one(msg, admission, deadline, |_| ControlFlow::Continue(()))
                        .await
                    {
                        Ok(a) => convert::response(&a),
                        Err(s) => convert::item_error(&id, &s),
                    }
                }
            });
        let this = self.clone();
        let out = super::stream::finish_stream(items, client_deadline, move |n, code| {
            span.record("items", n);
            this.metrics.streams_open.dec();
            this.finish(&span, "AnalyzeBatch", code, started);
        });
        Ok(Response::new(Box::pin(out)))
    }

    async fn get_model_info(
        &self,
        _request: Request<pb::GetModelInfoRequest>,
    ) -> Result<Response<pb::GetModelInfoResponse>, Status> {
        let started = Instant::now();
        let a = &self.analyzer;
        let langs: Vec<Lang> = Lang::SUPPORTED.to_vec();
        let topic_labels = TopicLabel::ALL
            .iter()
            .map(|&l| pb::TopicLabelInfo {
                label: l.name().to_string(),
                iptc_code: l.iptc_code().to_string(),
                iptc_name: l.iptc_name().to_string(),
                languages: langs
                    .iter()
                    .filter(|&&lang| a.topic_labels_for(lang).contains(&l))
                    .map(|lang| lang.code().to_string())
                    .collect(),
            })
            .collect();
        let limits = a.limits();
        let resp = pb::GetModelInfoResponse {
            service_version: env!("CARGO_PKG_VERSION").to_string(),
            languages: langs.iter().map(|l| l.code().to_string()).collect(),
            topic_labels,
            models: a
                .models()
                .iter()
                .map(|m| pb::ModelInfo {
                    name: m.name.to_string(),
                    version: m.version.clone(),
                    sha256: m.sha256.clone(),
                    size_bytes: m.size_bytes,
                    path: m.path.clone(),
                })
                .collect(),
            limits: Some(pb::Limits {
                max_text_bytes: limits.max_text_bytes as u64,
                max_message_bytes: self.settings.max_message_bytes as u64,
                max_concurrent_analyses: self.pool.max_in_flight() as u32,
                batch_window: self.settings.batch_window as u32,
                request_timeout_ms: self.settings.request_timeout.as_millis() as u64,
                max_id_bytes: limits.max_id_bytes as u32,
                max_waiting_analyses: u32::try_from(self.pool.max_waiting()).unwrap_or(u32::MAX),
            }),
        };
        self.metrics
            .call("GetModelInfo", Code::Ok, started.elapsed());
        Ok(Response::new(resp))
    }
}
