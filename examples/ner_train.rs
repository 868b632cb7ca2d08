//! Stand-in for `nutgraf train ner` / `nutgraf eval ner` until the CLI wires
//! them: `cargo run --release --example ner_train -- [train|eval] ...`.
use clap::Parser;

#[derive(Parser)]
enum Cmd {
    Train(nutgraf::ner::train::TrainArgs),
    Eval(nutgraf::ner::eval::EvalArgs),
}

fn main() -> anyhow::Result<()> {
    match Cmd::parse() {
        Cmd::Train(a) => nutgraf::ner::train::run(&a),
        Cmd::Eval(a) => nutgraf::ner::eval::run(&a),
    }
}
