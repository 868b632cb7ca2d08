//! Generated protobuf/gRPC types of `proto/nutgraf/v1/nutgraf.proto`.
#![allow(clippy::all, missing_docs)]

pub mod v1 {
    tonic::include_proto!("nutgraf.v1");
}

/// Encoded file descriptor set of our protos, served by reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("nutgraf_descriptor");

/// Fully-qualified service name (health checks use it).
pub const SERVICE_NAME: &str = "nutgraf.v1.ArticleService";
