//! Compiles `proto/nutgraf/v1/*.proto` with protox (pure Rust, so no system
//! `protoc` is needed) and writes the encoded descriptor set that server
//! reflection serves. Only with the `server` feature: the core (what the
//! fuzz crate builds) needs no generated code.

#[cfg(not(feature = "server"))]
fn main() {}

#[cfg(feature = "server")]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    use std::path::PathBuf;
    let protos = ["proto/nutgraf/v1/nutgraf.proto"];
    for p in &protos {
        println!("cargo:rerun-if-changed={p}");
    }
    let fds = protox::compile(protos, ["proto"])?;
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(
        out.join("nutgraf_descriptor.bin"),
        prost::Message::encode_to_vec(&fds),
    )?;
    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        .compile_fds(fds)?;
    Ok(())
}
