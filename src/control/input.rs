//! Reading a request body member by member, with the model's constraints
//! (control-api.md §1.3, §2.2): a wrong JSON type is a `SerializationException`, a missing
//! required member or a value out of its length, range or pattern an
//! `InvalidRequestException` naming the member. Unknown members are ignored and `null` counts
//! as absent. Messages never repeat the values, some of which are sensitive.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value};

use super::error::{ApiError, ErrorType};

/// A request body: a JSON object.
pub struct Input(Map<String, Value>);

impl Input {
    /// A body parsed by [`super::decode::object`].
    pub fn new(body: Value) -> Self {
        match body {
            Value::Object(map) => Self(map),
            _ => Self(Map::new()),
        }
    }

    fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name).filter(|v| !v.is_null())
    }

    /// Whether member `name` is present (and not `null`), whatever its type.
    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// An optional string of `min..=max` characters.
    pub fn string(&self, name: &str, min: usize, max: usize) -> Result<Option<String>, ApiError> {
        let Some(value) = self.get(name) else {
            return Ok(None);
        };
        let text = value.as_str().ok_or_else(|| wrong_type(name, "a string"))?;
        check_length(name, text, min, max)?;
        Ok(Some(text.to_owned()))
    }

    /// A required string of `min..=max` characters.
    pub fn required_string(&self, name: &str, min: usize, max: usize) -> Result<String, ApiError> {
        self.string(name, min, max)?
            .ok_or_else(|| ApiError::missing(name))
    }

    /// An optional integer in `min..=max`.
    pub fn int(&self, name: &str, min: i64, max: i64) -> Result<Option<i64>, ApiError> {
        let Some(value) = self.get(name) else {
            return Ok(None);
        };
        let number = value
            .as_i64()
            .ok_or_else(|| wrong_type(name, "an integer"))?;
        if !(min..=max).contains(&number) {
            return Err(ApiError::invalid(
                name,
                format!("Member must have value between {min} and {max}"),
            ));
        }
        Ok(Some(number))
    }

    /// `Limit` and `NextToken` as [`super::paging::Page::read`] takes them, type-checked.
    pub fn paging(&self) -> Result<(Option<i32>, Option<String>), ApiError> {
        let limit = self
            .int("Limit", i64::MIN, i64::MAX)?
            .map(|n| {
                i32::try_from(n).map_err(|_| {
                    ApiError::invalid("Limit", "Member must have value between 1 and 2147483647")
                })
            })
            .transpose()?;
        Ok((limit, self.string("NextToken", 0, usize::MAX)?))
    }

    /// An optional blob (a base64 string in JSON) of at most `max` bytes once decoded.
    pub fn blob(&self, name: &str, max: usize) -> Result<Option<Vec<u8>>, ApiError> {
        let Some(value) = self.get(name) else {
            return Ok(None);
        };
        let text = value
            .as_str()
            .ok_or_else(|| wrong_type(name, "a base64 string"))?;
        let too_long = || {
            ApiError::invalid(
                name,
                format!("Member must have length less than or equal to {max}"),
            )
        };
        // Four base64 characters carry three bytes: refuse before decoding what cannot fit.
        if text.len() / 4 * 3 > max + 3 {
            return Err(too_long());
        }
        let bytes = STANDARD
            .decode(text)
            .map_err(|_| wrong_type(name, "a base64 string"))?;
        if bytes.len() > max {
            return Err(too_long());
        }
        Ok(Some(bytes))
    }

    /// Optional `Tags`: at most 200 `{Key, Value}` with distinct keys of 1 to 128 characters
    /// and values of at most 256. A violated constraint is a `TaggingFailedException`.
    pub fn tags(&self, name: &str) -> Result<Option<Vec<(String, String)>>, ApiError> {
        let Some(value) = self.get(name) else {
            return Ok(None);
        };
        let tagging = |e: ApiError| match e.kind {
            ErrorType::InvalidRequest => ApiError::new(ErrorType::TaggingFailed, e.message),
            _ => e,
        };
        let items = value.as_array().ok_or_else(|| wrong_type(name, "a list"))?;
        if items.len() > 200 {
            return Err(tagging(ApiError::invalid(
                name,
                "Member must have length less than or equal to 200",
            )));
        }
        let mut tags: Vec<(String, String)> = Vec::with_capacity(items.len());
        for item in items {
            let tag = Input(
                item.as_object()
                    .cloned()
                    .ok_or_else(|| wrong_type(name, "a list of objects"))?,
            );
            let key = tag.required_string("Key", 1, 128).map_err(tagging)?;
            let value = tag.required_string("Value", 0, 256).map_err(tagging)?;
            if tags.iter().any(|(k, _)| *k == key) {
                return Err(tagging(ApiError::invalid(
                    name,
                    "Member must not hold two tags with the same key",
                )));
            }
            tags.push((key, value));
        }
        Ok(Some(tags))
    }
}

/// Fails unless `value` is `min..=max` characters long.
pub fn check_length(name: &str, value: &str, min: usize, max: usize) -> Result<(), ApiError> {
    let length = value.chars().count();
    if (min..=max).contains(&length) {
        Ok(())
    } else {
        Err(ApiError::invalid(
            name,
            format!("Member must have length between {min} and {max}"),
        ))
    }
}

fn wrong_type(name: &str, expected: &str) -> ApiError {
    ApiError::new(
        ErrorType::Serialization,
        format!("{name} must be {expected}"),
    )
}
