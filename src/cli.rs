//! Command-line interface. Every subcommand is a thin shell over a library
//! function, so tests and benches reach the same code.

use clap::{Args, Parser, Subcommand};
use nutgraf::config::ServeConfig;
use nutgraf::pipeline::{Analyzer, Limits, Request};
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "nutgraf",
    version,
    about = "Entity-dense summaries, IPTC topics and named entities for ar/fr/en news, over gRPC"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the gRPC server.
    Serve(Box<ServeConfig>),
    /// Analyse one article (in-process, or on a server with --server) and print JSON.
    Analyze(AnalyzeArgs),
    /// Train a model from ../shared/data.
    #[command(subcommand)]
    Train(TrainCmd),
    /// Evaluate a model or the summariser on a data file.
    #[command(subcommand)]
    Eval(EvalCmd),
    /// Developer views.
    #[command(subcommand)]
    Debug(DebugCmd),
}

#[derive(Subcommand, Debug)]
enum TrainCmd {
    /// Train the named-entity tagger.
    Ner(nutgraf::ner::train::TrainArgs),
    /// Train the topic classifier.
    Topics(nutgraf::classify::train::TrainArgs),
}

#[derive(Subcommand, Debug)]
enum EvalCmd {
    /// Entity-level P/R/F1 on a CoNLL file.
    Ner(nutgraf::ner::eval::EvalArgs),
    /// Accuracy, macro-F1, per-label F1 and confusion matrix on a jsonl file.
    Topics(nutgraf::classify::eval::EvalArgs),
    /// ROUGE-1/2/L of the summariser and baselines on a jsonl file.
    Summarize(nutgraf::summarize::eval::EvalArgs),
}

#[derive(Subcommand, Debug)]
enum DebugCmd {
    /// Print the document with roles and sentence boundaries.
    Segment {
        /// Article file ("-" for stdin).
        #[arg(default_value = "-")]
        file: String,
        /// Language hint (ar, fr, en).
        #[arg(long, default_value = "")]
        language: String,
    },
}

#[derive(Args, Debug)]
struct AnalyzeArgs {
    /// Article file ("-" for stdin).
    #[arg(default_value = "-")]
    file: String,
    /// Send to a running server instead (e.g. http://127.0.0.1:50051).
    #[arg(long, env = "NUTGRAF_SERVER")]
    server: Option<String>,
    /// Model directory (in-process mode).
    #[arg(long, env = "NUTGRAF_MODEL_DIR", default_value = "models")]
    model_dir: PathBuf,
    /// Language hint (ar, fr, en); empty = detect.
    #[arg(long, default_value = "")]
    language: String,
    /// Separate title.
    #[arg(long)]
    title: Option<String>,
    /// Summary length in sentences (0 = default).
    #[arg(long, default_value_t = 0)]
    max_sentences: u32,
    /// Summary length in words (0 = no bound).
    #[arg(long, default_value_t = 0)]
    max_words: u32,
    /// Id to echo.
    #[arg(long, default_value = "cli")]
    id: String,
}

fn read_input(file: &str) -> anyhow::Result<String> {
    let mut s = String::new();
    if file == "-" {
        std::io::stdin().read_to_string(&mut s)?;
    } else {
        s = std::fs::read_to_string(file)
            .map_err(|e| anyhow::anyhow!("cannot read {file}: {e}"))?;
    }
    Ok(s)
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

async fn analyze_remote(args: &AnalyzeArgs, text: String) -> anyhow::Result<String> {
    use nutgraf::proto::v1 as pb;
    let url = args.server.clone().unwrap_or_default();
    let mut client = pb::article_service_client::ArticleServiceClient::connect(url.clone())
        .await
        .map_err(|e| anyhow::anyhow!("cannot connect to {url}: {e}"))?
        .max_decoding_message_size(64 << 20);
    let resp = client
        .analyze(pb::AnalyzeRequest {
            id: args.id.clone(),
            text,
            title: args.title.clone(),
            language: args.language.clone(),
            summary: Some(pb::SummaryOptions {
                max_sentences: args.max_sentences,
                max_words: args.max_words,
                ratio: 0.0,
            }),
            parts: vec![],
            topics: None,
        })
        .await
        .map_err(|s| {
            anyhow::anyhow!(
                "{}: {}",
                nutgraf::server::metrics::code_name(s.code()),
                s.message()
            )
        })?;
    Ok(serde_json::to_string_pretty(&response_json(
        &resp.into_inner(),
    ))?)
}

/// The proto response as JSON in the same shape as the in-process output
/// (enum values by name), so scripts can switch between the two modes.
fn response_json(r: &nutgraf::proto::v1::AnalyzeResponse) -> serde_json::Value {
    use nutgraf::proto::v1 as pb;
    use serde_json::json;
    let sentence = |s: &pb::Sentence| {
        json!({"text": s.text, "index": s.index, "score": s.score, "start": s.start, "end": s.end,
               "entity_indices": s.entity_indices, "entity_texts": s.entity_texts})
    };
    json!({
        "id": r.id,
        "language": r.language,
        "title": r.title.as_ref().map(sentence),
        "summary": r.summary.as_ref().map(|s| s.sentences.iter().map(sentence).collect::<Vec<_>>()).unwrap_or_default(),
        "topics": r.topics.iter().map(|t| json!({"label": t.label, "score": t.score, "iptc_code": t.iptc_code, "iptc_name": t.iptc_name})).collect::<Vec<_>>(),
        "entities": r.entities.iter().map(|e| json!({
            "text": e.text,
            "type": pb::EntityType::try_from(e.r#type).map(|t| t.as_str_name()).unwrap_or("ENTITY_TYPE_UNSPECIFIED"),
            "salience": e.salience,
            "mentions": e.mentions.iter().map(|m| json!({"start": m.start, "end": m.end, "text": m.text})).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "stats": r.stats.as_ref().map(|s| json!({
            "chars": s.chars, "bytes": s.bytes, "tokens": s.tokens, "sentences": s.sentences,
            "body_sentences": s.body_sentences, "language_confidence": s.language_confidence,
            "language_from_hint": s.language_from_hint, "text_us": s.text_us, "entities_us": s.entities_us,
            "summary_us": s.summary_us, "topics_us": s.topics_us, "total_us": s.total_us, "queue_us": s.queue_us,
        })),
    })
}

fn analyze_local(args: &AnalyzeArgs, text: &str) -> anyhow::Result<String> {
    let analyzer = Analyzer::load(&args.model_dir, Limits::default())?;
    let mut req = Request::new(&args.id, text);
    req.language = &args.language;
    req.title = args.title.as_deref();
    req.length.max_sentences = (args.max_sentences > 0).then_some(args.max_sentences);
    req.length.max_words = (args.max_words > 0).then_some(args.max_words);
    let a = analyzer.analyze_all(&req)?;
    Ok(serde_json::to_string_pretty(&a)?)
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(cfg) => runtime()?.block_on(async {
            let telemetry = nutgraf::telemetry::init(
                cfg.log_format,
                &cfg.log_level,
                cfg.otlp_endpoint.as_deref(),
            )?;
            let result = nutgraf::server::serve(*cfg).await;
            telemetry.shutdown();
            result
        }),
        Command::Analyze(args) => {
            let text = read_input(&args.file)?;
            let out = match &args.server {
                Some(_) => runtime()?.block_on(analyze_remote(&args, text))?,
                None => analyze_local(&args, &text)?,
            };
            println!("{out}");
            Ok(())
        }
        Command::Train(TrainCmd::Ner(a)) => nutgraf::ner::train::run(&a),
        Command::Train(TrainCmd::Topics(a)) => nutgraf::classify::train::run(&a),
        Command::Eval(EvalCmd::Ner(a)) => nutgraf::ner::eval::run(&a),
        Command::Eval(EvalCmd::Topics(a)) => nutgraf::classify::eval::run(&a),
        Command::Eval(EvalCmd::Summarize(a)) => nutgraf::summarize::eval::run(&a),
        Command::Debug(DebugCmd::Segment { file, language }) => {
            let text = read_input(&file)?;
            let hint = nutgraf::text::Lang::from_hint(&language);
            let doc = nutgraf::text::analyze(
                &text,
                nutgraf::text::TextOptions {
                    title: None,
                    lang_hint: hint,
                },
            );
            print!("{}", nutgraf::text::debug::render(&doc));
            Ok(())
        }
    }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // `{:#}` prints the whole context chain on one line: a clear
            // start-up error, never a panic trace.
            eprintln!("nutgraf: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
