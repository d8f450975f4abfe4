//! The script operations (control-api.md §2.5): CreateScript, UpdateScript,
//! DescribeScript, ListScripts and DeleteScript over the server's [`ScriptStore`], each taking
//! its validated input and returning its output. Uploads are
//! unpacked, compiled and written on a blocking thread, away from the request tasks.
//!
//! [`ScriptStore`]: crate::script::store::ScriptStore

use std::sync::Arc;

use tracing::error;

use super::Control;
use super::error::{ApiError, ErrorType};
use super::paging::{Page, key};
use super::resolve::catalog_error;
use crate::api::Operation;
use crate::api::ids::script_id_of;
use crate::api::scripts::{
    CreateScriptInput, CreateScriptOutput, DeleteScriptInput, DeleteScriptOutput,
    DescribeScriptInput, DescribeScriptOutput, ListScriptsInput, ListScriptsOutput, MAX_ZIP_BYTES,
    UpdateScriptInput, UpdateScriptOutput,
};
use crate::script::store::{NewScript, ScriptUpdate, StoreError};

// The API's limit is the store's.
const _: () = assert!(MAX_ZIP_BYTES == crate::script::store::MAX_ZIP_BYTES);

pub(super) async fn create_script(
    control: &Control,
    input: CreateScriptInput,
) -> Result<CreateScriptOutput, ApiError> {
    // The input's validation made sure the zip is there; tags are validated and not kept,
    // since this server has no tagging operations to read them back.
    let zip = input.zip_file.map(|zip| zip.0).unwrap_or_default();
    let script = NewScript {
        name: input.name,
        version: input.version,
        node_js_version: input.node_js_version,
    };
    let store = Arc::clone(control.admin.scripts());
    let record = blocking(move || store.create(script, &zip)).await?;
    // In a fleet, it is created once the fleet has it; else it is not created at all.
    if let Err(e) = control.admin.share_script(&record.id, None).await {
        let (store, id) = (Arc::clone(control.admin.scripts()), record.id.clone());
        blocking(move || store.delete(&id)).await?;
        return Err(catalog_error(e));
    }
    Ok(CreateScriptOutput {
        script: control.shapes().script(&record),
    })
}

pub(super) async fn update_script(
    control: &Control,
    input: UpdateScriptInput,
) -> Result<UpdateScriptOutput, ApiError> {
    let id = script_id_of(&input.script_id).to_owned();
    let update = ScriptUpdate {
        name: input.name,
        version: input.version,
        zip: input.zip_file.map(|zip| zip.0),
    };
    // In a fleet, the update applies to the fleet's latest revision, and is shared only if
    // no other host changed the script meanwhile.
    control.admin.sync_scripts().await.map_err(catalog_error)?;
    let before = control.admin.scripts().get(&id).map(|r| r.revision);
    let store = Arc::clone(control.admin.scripts());
    let record = blocking(move || store.update(&id, update)).await?;
    let shared = control.admin.share_script(&record.id, before).await;
    if !matches!(shared, Ok(true)) {
        // This host's copy goes back to the fleet's.
        let _ = control.admin.sync_scripts().await;
        return Err(match shared {
            Err(e) => catalog_error(e),
            Ok(_) => ApiError::new(
                ErrorType::Internal,
                format!(
                    "script {} was changed through another host meanwhile; try again",
                    record.id
                ),
            ),
        });
    }
    Ok(UpdateScriptOutput {
        script: control.shapes().script(&record),
    })
}

pub(super) async fn describe_script(
    control: &Control,
    input: DescribeScriptInput,
) -> Result<DescribeScriptOutput, ApiError> {
    let id = script_id_of(&input.script_id).to_owned();
    control.admin.sync_scripts().await.map_err(catalog_error)?;
    let record = control
        .admin
        .scripts()
        .get(&id)
        .ok_or_else(|| store_error(StoreError::NotFound(id)))?;
    Ok(DescribeScriptOutput {
        script: control.shapes().script(&record),
    })
}

pub(super) async fn list_scripts(
    control: &Control,
    input: ListScriptsInput,
) -> Result<ListScriptsOutput, ApiError> {
    let page = Page::read(
        input.limit,
        input.next_token.as_deref(),
        Operation::ListScripts,
        &(),
    )?;
    control.admin.sync_scripts().await.map_err(catalog_error)?;
    let (records, next_token) = page.apply(control.admin.scripts().list(), |r| {
        key(r.creation_time, &r.id)
    });
    let shapes = control.shapes();
    Ok(ListScriptsOutput {
        scripts: records.iter().map(|r| shapes.script(r)).collect(),
        next_token,
    })
}

pub(super) async fn delete_script(
    control: &Control,
    input: DeleteScriptInput,
) -> Result<DeleteScriptOutput, ApiError> {
    let id = script_id_of(&input.script_id).to_owned();
    // Game sessions created from now on would have no script to run (control-api.md §2.5.5).
    if control.admin.fleet_script() == Some(id.as_str()) {
        return Err(ApiError::new(
            ErrorType::InvalidRequest,
            format!(
                "script {id} is the script of fleet {}; it cannot be deleted while the fleet \
                 uses it",
                control.fleet().id
            ),
        ));
    }
    control.admin.sync_scripts().await.map_err(catalog_error)?;
    let store = Arc::clone(control.admin.scripts());
    let gone = id.clone();
    blocking(move || store.delete(&gone)).await?;
    control
        .admin
        .unshare_script(&id)
        .await
        .map_err(catalog_error)?;
    Ok(DeleteScriptOutput {})
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
