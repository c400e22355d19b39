//! A marks table and a chunk queue made on the fly: for tests, benchmarks
//! and trying cloud runs against an emulator (moto). In production the
//! deploy template (`infra/stratus.yaml`) creates both, with the same
//! keys and index.

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType,
};

use super::launch::CloudTarget;
use super::marks::{service_error, CHANGE_INDEX};
use crate::{Error, Result};

fn key(name: &str, kind: KeyType) -> Result<KeySchemaElement> {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(kind)
        .build()
        .map_err(|e| Error::Cloud(e.to_string()))
}

fn attribute(name: &str, kind: ScalarAttributeType) -> Result<AttributeDefinition> {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(kind)
        .build()
        .map_err(|e| Error::Cloud(e.to_string()))
}

/// Creates the marks table: `run` (hash) + `item` (range), and the
/// `by_change` index (`run` + `changed`), on demand capacity.
pub async fn create_table(client: &aws_sdk_dynamodb::Client, name: &str) -> Result<()> {
    let index = GlobalSecondaryIndex::builder()
        .index_name(CHANGE_INDEX)
        .key_schema(key("run", KeyType::Hash)?)
        .key_schema(key("changed", KeyType::Range)?)
        .projection(
            Projection::builder()
                .projection_type(ProjectionType::All)
                .build(),
        )
        .build()
        .map_err(|e| Error::Cloud(e.to_string()))?;
    client
        .create_table()
        .table_name(name)
        .attribute_definitions(attribute("run", ScalarAttributeType::S)?)
        .attribute_definitions(attribute("item", ScalarAttributeType::S)?)
        .attribute_definitions(attribute("changed", ScalarAttributeType::N)?)
        .key_schema(key("run", KeyType::Hash)?)
        .key_schema(key("item", KeyType::Range)?)
        .global_secondary_indexes(index)
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .map_err(|e| service_error("cannot create the marks table", &e))?;
    Ok(())
}

/// Creates a queue; its URL.
pub async fn create_queue(client: &aws_sdk_sqs::Client, name: &str) -> Result<String> {
    let out = client
        .create_queue()
        .queue_name(name)
        .send()
        .await
        .map_err(|e| service_error("cannot create the chunk queue", &e))?;
    out.queue_url()
        .map(str::to_string)
        .ok_or_else(|| Error::Cloud("SQS answered without a queue URL".into()))
}

/// A table and a queue both named `name`: the target of cloud runs
/// against an emulator, as the deploy's outputs are on AWS.
pub async fn provision(
    sdk: &aws_config::SdkConfig,
    name: &str,
    workers: u32,
) -> Result<CloudTarget> {
    create_table(&aws_sdk_dynamodb::Client::new(sdk), name).await?;
    let queue_url = create_queue(&aws_sdk_sqs::Client::new(sdk), name).await?;
    Ok(CloudTarget {
        table: name.to_string(),
        queue_url,
        workers,
        scheduler_role: None,
    })
}
