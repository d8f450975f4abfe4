//! The script operations (control-api.md §2.5): CreateScript, UpdateScript,
//! DescribeScript, ListScripts and DeleteScript over the host's [`ScriptStore`]. Uploads are
//! unpacked, compiled and written on a blocking thread, away from the request tasks.
//!
//! [`ScriptStore`]: crate::script::store::ScriptStore

use std::sync::Arc;

use serde_json::{Value, json};
use tracing::error;

use super::Control;
use super::error::{ApiError, ErrorType};
use super::input::Input;
use super::output::with_next_token;
use super::paging::{Page, key};
use crate::api::Operation;
use crate::api::ids::{is_id_or_arn, script_id_of};
use crate::script::store::{MAX_ZIP_BYTES, NewScript, ScriptUpdate, StoreError};

/// The model's `ScriptIdOrArn` pattern, for validation messages.
const SCRIPT_ID_PATTERN: &str = "Member must satisfy regular expression pattern: \
    ^(script-\\S+|arn:.*:script\\/script-\\S+)$";

pub(super) async fn create_script(control: &Control, input: &Input) -> Result<Value, ApiError> {
    let name = input.string("Name", 1, 1024)?;
    let version = input.string("Version", 1, 1024)?;
    let node_js_version = node_js_version(input)?;
    // Validated as AWS does; this server has no tagging operations to read them back.
    input.tags("Tags")?;
    let zip = zip_file(input)?.ok_or_else(|| {
        ApiError::new(
            ErrorType::InvalidRequest,
            "one of ZipFile and StorageLocation is required",
        )
    })?;
    let script = NewScript {
        name,
        version,
        node_js_version,
    };
    let store = Arc::clone(&control.host.scripts);
    let record = blocking(move || store.create(script, &zip)).await?;
    Ok(json!({"Script": control.shapes().script(&record)}))
}

pub(super) async fn update_script(control: &Control, input: &Input) -> Result<Value, ApiError> {
    let id = script_id(input)?;
    let update = ScriptUpdate {
        name: input.string("Name", 1, 1024)?,
        version: input.string("Version", 1, 1024)?,
        zip: zip_file(input)?,
    };
    let store = Arc::clone(&control.host.scripts);
    let record = blocking(move || store.update(&id, update)).await?;
    Ok(json!({"Script": control.shapes().script(&record)}))
}

pub(super) fn describe_script(control: &Control, input: &Input) -> Result<Value, ApiError> {
    let id = script_id(input)?;
    let record = control
        .host
        .scripts
        .get(&id)
        .ok_or_else(|| store_error(StoreError::NotFound(id)))?;
    Ok(json!({"Script": control.shapes().script(&record)}))
}

pub(super) fn list_scripts(control: &Control, input: &Input) -> Result<Value, ApiError> {
    let (limit, next_token) = input.paging()?;
    let page = Page::read(limit, next_token.as_deref(), Operation::ListScripts, &())?;
    let (records, next) = page.apply(control.host.scripts.list(), |r| key(r.creation_time, &r.id));
    let shapes = control.shapes();
    let scripts: Vec<_> = records.iter().map(|r| shapes.script(r)).collect();
    let mut output = json!({"Scripts": scripts});
    with_next_token(&mut output, next);
    Ok(output)
}

pub(super) async fn delete_script(control: &Control, input: &Input) -> Result<Value, ApiError> {
    let id = script_id(input)?;
    // Game sessions created from now on would have no script to run (control-api.md §2.5.5).
    if control.host.fleet_script.as_deref() == Some(id.as_str()) {
        return Err(ApiError::new(
            ErrorType::InvalidRequest,
            format!(
                "script {id} is the script of fleet {}; it cannot be deleted while the fleet \
                 uses it",
                control.fleet().id
            ),
        ));
    }
    let store = Arc::clone(&control.host.scripts);
    blocking(move || store.delete(&id)).await?;
    Ok(json!({}))
}

/// `ScriptId` (required): an id or an ARN, as the id.
fn script_id(input: &Input) -> Result<String, ApiError> {
    let value = input.required_string("ScriptId", 1, 512)?;
    if !is_id_or_arn(&value, "script") {
        return Err(ApiError::invalid("ScriptId", SCRIPT_ID_PATTERN));
    }
    Ok(script_id_of(&value).to_owned())
}

/// `NodeJsVersion`, checked against the model's pattern; the store checks it is supported.
fn node_js_version(input: &Input) -> Result<Option<String>, ApiError> {
    let Some(version) = input.string("NodeJsVersion", 1, 16)? else {
        return Ok(None);
    };
    let pattern = "^[0-9]+\\.(?:x|[0-9]+)$";
    let well_formed = version.split_once('.').is_some_and(|(major, minor)| {
        !major.is_empty()
            && major.bytes().all(|b| b.is_ascii_digit())
            && (minor == "x" || !minor.is_empty() && minor.bytes().all(|b| b.is_ascii_digit()))
    });
    if !well_formed {
        return Err(ApiError::invalid(
            "NodeJsVersion",
            format!("Member must satisfy regular expression pattern: {pattern}"),
        ));
    }
    Ok(Some(version))
}

/// The content of `ZipFile`; `StorageLocation` (Amazon S3) is refused (control-api.md §2.5.1).
fn zip_file(input: &Input) -> Result<Option<Vec<u8>>, ApiError> {
    if input.has("StorageLocation") {
        let message = if input.has("ZipFile") {
            "ZipFile and StorageLocation are mutually exclusive"
        } else {
            "StorageLocation is not supported: this self-hosted server has no Amazon S3; \
             upload the zip as ZipFile"
        };
        return Err(ApiError::new(ErrorType::InvalidRequest, message));
    }
    input.blob("ZipFile", MAX_ZIP_BYTES)
}

/// Runs a store write on a blocking thread.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, ApiError> {
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => result.map_err(store_error),
        Err(e) => {
            error!(error = %e, "script store task failed");
            Err(ApiError::new(
                ErrorType::Internal,
                "the script store failed",
            ))
        }
    }
}

fn store_error(e: StoreError) -> ApiError {
    match e {
        StoreError::Invalid(message) => ApiError::new(ErrorType::InvalidRequest, message),
        StoreError::NotFound(id) => ApiError::not_found(format!("No script matches {id}")),
        // The message names server paths: logged, not sent.
        StoreError::Io { .. } => {
            error!(error = %e, "script store failed");
            ApiError::new(ErrorType::Internal, "the script store failed")
        }
    }
}
