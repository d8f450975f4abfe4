//! The script operations (control-api.md §2.5): `CreateScript`, `UpdateScript`,
//! `DescribeScript`, `ListScripts` and `DeleteScript`.

use serde::{Deserialize, Serialize};

use super::error::{ApiError, ErrorType};
use super::ids::is_id_or_arn;
use super::model::{Blob, S3Location, Script, Tag};
use super::validate::{length, optional_length, pattern_error, tags};
use super::{Operation, Request};

/// Most bytes of a script zip (the model's `ZipBlob`).
pub const MAX_ZIP_BYTES: usize = 5_000_000;

/// `CreateScript`: uploads a script.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateScriptInput {
    /// A name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A version label.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Where the zip is in Amazon S3: refused, this server has no S3.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage_location: Option<S3Location>,
    /// The zip, holding `index.js` and what it requires.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zip_file: Option<Blob>,
    /// Tags, validated and not kept: this server has no tagging operations.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
    /// The Node.js version the script was written for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node_js_version: Option<String>,
}

/// What `CreateScript` answers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateScriptOutput {
    /// The script.
    pub script: Script,
}

impl Request for CreateScriptInput {
    const OPERATION: Operation = Operation::CreateScript;
    type Output = CreateScriptOutput;

    fn validate(&self) -> Result<(), ApiError> {
        optional_length("Name", self.name.as_deref(), 1, 1024)?;
        optional_length("Version", self.version.as_deref(), 1, 1024)?;
        node_js_version(self.node_js_version.as_deref())?;
        tags("Tags", Some(&self.tags))?;
        zip_file(self.storage_location.as_ref(), self.zip_file.as_ref())?;
        if self.zip_file.is_none() {
            return Err(ApiError::new(
                ErrorType::InvalidRequest,
                "one of ZipFile and StorageLocation is required",
            ));
        }
        Ok(())
    }
}

/// `UpdateScript`: changes a script's name, version label or content.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateScriptInput {
    /// The script, by id or ARN.
    pub script_id: String,
    /// A new name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A new version label.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Where new content is in Amazon S3: refused, this server has no S3.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage_location: Option<S3Location>,
    /// New content.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zip_file: Option<Blob>,
}

/// What `UpdateScript` answers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateScriptOutput {
    /// The script as updated.
    pub script: Script,
}

impl Request for UpdateScriptInput {
    const OPERATION: Operation = Operation::UpdateScript;
    type Output = UpdateScriptOutput;

    fn validate(&self) -> Result<(), ApiError> {
        script_id(&self.script_id)?;
        optional_length("Name", self.name.as_deref(), 1, 1024)?;
        optional_length("Version", self.version.as_deref(), 1, 1024)?;
        zip_file(self.storage_location.as_ref(), self.zip_file.as_ref())
    }
}

/// `DescribeScript`: one script.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeScriptInput {
    /// The script, by id or ARN.
    pub script_id: String,
}

/// What `DescribeScript` answers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeScriptOutput {
    /// The script.
    pub script: Script,
}

impl Request for DescribeScriptInput {
    const OPERATION: Operation = Operation::DescribeScript;
    type Output = DescribeScriptOutput;

    fn validate(&self) -> Result<(), ApiError> {
        script_id(&self.script_id)
    }
}

/// `ListScripts`: the scripts, oldest first, a page at a time.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListScriptsInput {
    /// Most scripts in the page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i32>,
    /// The previous page's token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// What `ListScripts` answers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListScriptsOutput {
    /// The page of scripts.
    pub scripts: Vec<Script>,
    /// The next page's token, if there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

impl Request for ListScriptsInput {
    const OPERATION: Operation = Operation::ListScripts;
    type Output = ListScriptsOutput;
}

/// `DeleteScript`: deletes a script; game sessions running it keep their copy.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteScriptInput {
    /// The script, by id or ARN.
    pub script_id: String,
}

/// What `DeleteScript` answers: nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteScriptOutput {}

impl Request for DeleteScriptInput {
    const OPERATION: Operation = Operation::DeleteScript;
    type Output = DeleteScriptOutput;

    fn validate(&self) -> Result<(), ApiError> {
        script_id(&self.script_id)
    }
}

/// Checks a `ScriptId`: an id or an ARN.
fn script_id(id: &str) -> Result<(), ApiError> {
    length("ScriptId", id, 1, 512)?;
    if is_id_or_arn(id, "script") {
        Ok(())
    } else {
        Err(pattern_error(
            "ScriptId",
            "^(script-\\S+|arn:.*:script\\/script-\\S+)$",
        ))
    }
}

/// Checks `NodeJsVersion` against the model's pattern; the server checks it is supported.
fn node_js_version(version: Option<&str>) -> Result<(), ApiError> {
    let Some(version) = version else {
        return Ok(());
    };
    length("NodeJsVersion", version, 1, 16)?;
    let well_formed = version.split_once('.').is_some_and(|(major, minor)| {
        !major.is_empty()
            && major.bytes().all(|b| b.is_ascii_digit())
            && (minor == "x" || !minor.is_empty() && minor.bytes().all(|b| b.is_ascii_digit()))
    });
    if well_formed {
        Ok(())
    } else {
        Err(pattern_error("NodeJsVersion", "^[0-9]+\\.(?:x|[0-9]+)$"))
    }
}

/// Checks the content members: `StorageLocation` (Amazon S3) is refused (control-api.md
/// §2.5.1), `ZipFile` holds at most [`MAX_ZIP_BYTES`].
fn zip_file(storage: Option<&S3Location>, zip: Option<&Blob>) -> Result<(), ApiError> {
    if storage.is_some() {
        let message = if zip.is_some() {
            "ZipFile and StorageLocation are mutually exclusive"
        } else {
            "StorageLocation is not supported: this self-hosted server has no Amazon S3; \
             upload the zip as ZipFile"
        };
        return Err(ApiError::new(ErrorType::InvalidRequest, message));
    }
    if zip.is_some_and(|zip| zip.0.len() > MAX_ZIP_BYTES) {
        return Err(ApiError::invalid(
            "ZipFile",
            format!("Member must have length less than or equal to {MAX_ZIP_BYTES}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_comes_as_a_zip_within_the_limit() {
        let zip = |bytes: usize| Some(Blob(vec![0; bytes]));
        let mut input = CreateScriptInput::default();
        assert!(
            input
                .validate()
                .is_err_and(|e| e.message.contains("one of ZipFile"))
        );
        input.zip_file = zip(MAX_ZIP_BYTES);
        assert!(input.validate().is_ok());
        input.zip_file = zip(MAX_ZIP_BYTES + 1);
        assert!(
            input
                .validate()
                .is_err_and(|e| e.message.contains("zipFile"))
        );
        input.zip_file = zip(1);
        input.storage_location = Some(S3Location::default());
        assert!(
            input
                .validate()
                .is_err_and(|e| e.message.contains("mutually exclusive"))
        );
    }

    #[test]
    fn node_js_versions_follow_the_pattern() {
        for good in ["10.x", "24.1"] {
            assert!(node_js_version(Some(good)).is_ok(), "{good}");
        }
        for bad in ["latest", "x.10", "10.", ".x", "10.x.1"] {
            assert!(node_js_version(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn delete_answers_an_empty_object() {
        assert_eq!(
            serde_json::to_string(&DeleteScriptOutput {})
                .ok()
                .as_deref(),
            Some("{}")
        );
    }
}
