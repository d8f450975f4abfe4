//! Checks of request members against the model's constraints (lengths, ranges, patterns,
//! list sizes), with the messages AWS's validation gives (control-api.md §2.2): an
//! `InvalidRequestException` naming the member, never repeating its value, since some values
//! are sensitive. [`super::Request::validate`] implementations are made of these.

use super::error::{ApiError, ErrorType};
use super::model::{GameProperty, Tag};

/// Fails unless `value` is `min..=max` characters long.
pub fn length(name: &str, value: &str, min: usize, max: usize) -> Result<(), ApiError> {
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

/// Like [`length`], for an optional member.
pub fn optional_length(
    name: &str,
    value: Option<&str>,
    min: usize,
    max: usize,
) -> Result<(), ApiError> {
    value.map_or(Ok(()), |value| length(name, value, min, max))
}

/// Fails unless every character of `value` satisfies `allowed`; `pattern` is the model's
/// regular expression, quoted in the message.
pub fn chars(
    name: &str,
    value: &str,
    pattern: &str,
    allowed: impl Fn(char) -> bool,
) -> Result<(), ApiError> {
    if value.chars().all(allowed) {
        Ok(())
    } else {
        Err(pattern_error(name, pattern))
    }
}

/// The failure of `name` to match the model's regular expression `pattern`.
pub fn pattern_error(name: &str, pattern: &str) -> ApiError {
    ApiError::invalid(
        name,
        format!("Member must satisfy regular expression pattern: {pattern}"),
    )
}

/// Fails unless an optional integer is in `min..=max`.
pub fn range(name: &str, value: Option<i32>, min: i64, max: i64) -> Result<(), ApiError> {
    match value {
        Some(number) if !(min..=max).contains(&i64::from(number)) => Err(ApiError::invalid(
            name,
            format!("Member must have value between {min} and {max}"),
        )),
        _ => Ok(()),
    }
}

/// Fails unless an optional list of strings has `min_items..=max_items` items, each
/// `min..=max` characters long.
pub fn strings(
    name: &str,
    items: Option<&[String]>,
    (min_items, max_items): (usize, usize),
    (min, max): (usize, usize),
) -> Result<(), ApiError> {
    let Some(items) = items else { return Ok(()) };
    if !(min_items..=max_items).contains(&items.len()) {
        return Err(ApiError::invalid(
            name,
            format!("Member must have length between {min_items} and {max_items}"),
        ));
    }
    items
        .iter()
        .try_for_each(|item| length(name, item, min, max))
}

/// Optional `GameProperties`: at most 16, keys at most 32 characters, values at most 96.
pub fn game_properties(name: &str, properties: Option<&[GameProperty]>) -> Result<(), ApiError> {
    let Some(properties) = properties else {
        return Ok(());
    };
    if properties.len() > 16 {
        return Err(ApiError::invalid(
            name,
            "Member must have length less than or equal to 16",
        ));
    }
    properties.iter().try_for_each(|property| {
        length("Key", &property.key, 0, 32)?;
        length("Value", &property.value, 0, 96)
    })
}

/// Optional `Tags`: at most 200 with distinct keys of 1 to 128 characters and values of at
/// most 256. A violated constraint is a `TaggingFailedException`.
pub fn tags(name: &str, tags: Option<&[Tag]>) -> Result<(), ApiError> {
    let Some(tags) = tags else { return Ok(()) };
    let tagging = |e: ApiError| ApiError::new(ErrorType::TaggingFailed, e.message);
    if tags.len() > 200 {
        return Err(tagging(ApiError::invalid(
            name,
            "Member must have length less than or equal to 200",
        )));
    }
    for (i, tag) in tags.iter().enumerate() {
        length("Key", &tag.key, 1, 128).map_err(tagging)?;
        length("Value", &tag.value, 0, 256).map_err(tagging)?;
        if tags[..i].iter().any(|earlier| earlier.key == tag.key) {
            return Err(tagging(ApiError::invalid(
                name,
                "Member must not hold two tags with the same key",
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_member_in_lower_camel_case() {
        let error = length("GameSessionData", "", 1, 10).expect_err("too short");
        assert_eq!(error.kind, ErrorType::InvalidRequest);
        assert_eq!(
            error.message,
            "1 validation error detected: Value at 'gameSessionData' failed to satisfy \
             constraint: Member must have length between 1 and 10"
        );
        let error = range("Limit", Some(0), 1, 5).expect_err("too small");
        assert!(
            error
                .message
                .ends_with("Member must have value between 1 and 5")
        );
        assert!(range("Limit", None, 1, 5).is_ok());
    }

    #[test]
    fn tag_failures_are_tagging_failed() {
        let tag = |key: &str| Tag {
            key: key.to_owned(),
            value: String::new(),
        };
        assert!(tags("Tags", Some(&[tag("a"), tag("b")])).is_ok());
        for bad in [vec![tag("")], vec![tag("a"), tag("a")]] {
            let error = tags("Tags", Some(&bad)).expect_err("refused");
            assert_eq!(error.kind, ErrorType::TaggingFailed);
        }
    }
}
