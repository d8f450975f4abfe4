//! Reading the members of a request body that has no typed input yet: `null` counts as
//! absent, a wrong JSON type is a `SerializationException`, a value out of range an
//! `InvalidRequestException` naming the member.

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

    /// An optional integer in `min..=max`.
    pub fn int(&self, name: &str, min: i64, max: i64) -> Result<Option<i64>, ApiError> {
        let Some(value) = self.get(name) else {
            return Ok(None);
        };
        let number = value.as_i64().ok_or_else(|| {
            ApiError::new(
                ErrorType::Serialization,
                format!("{name} must be an integer"),
            )
        })?;
        if !(min..=max).contains(&number) {
            return Err(ApiError::invalid(
                name,
                format!("Member must have value between {min} and {max}"),
            ));
        }
        Ok(Some(number))
    }
}
