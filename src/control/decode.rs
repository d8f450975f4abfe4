//! Reading a request body into its operation's input type ([`crate::api::Request`]), with
//! the errors AWS's front end gives (control-api.md §1.3, §2.2): a body that is not a JSON
//! object, or a member of the wrong JSON type, is a `SerializationException` naming the
//! member; a missing required member is an `InvalidRequestException` in the AWS validation
//! style. Unknown members are ignored and `null` counts as absent. Messages never repeat the
//! values, some of which are sensitive.
//!
//! serde's derived impls drive a deserializer over the parsed JSON that knows which member
//! each value is, which is what the messages need and what serde_json's own errors lack.

use std::fmt::Display;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::de::value::StrDeserializer;
use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, Visitor};
use serde_json::{Map, Value};

use super::error::{ApiError, ErrorType};

/// Parses a body into a JSON object; an empty body is `{}`.
pub fn object(body: &[u8]) -> Result<Value, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Map::new()));
    }
    match serde_json::from_slice(body) {
        Ok(object @ Value::Object(_)) => Ok(object),
        Ok(_) => Err(ApiError::new(
            ErrorType::Serialization,
            "the body must be a JSON object",
        )),
        Err(_) => Err(ApiError::new(
            ErrorType::Serialization,
            "the body is not valid JSON",
        )),
    }
}

/// Reads the input `T` from a body parsed by [`object`].
pub fn decode<T: DeserializeOwned>(body: &Value) -> Result<T, ApiError> {
    T::deserialize(Member {
        name: "the body",
        value: body,
        within: Within::Member,
    })
}

impl de::Error for ApiError {
    fn custom<M: Display>(message: M) -> Self {
        ApiError::new(ErrorType::Serialization, message.to_string())
    }

    fn missing_field(field: &'static str) -> Self {
        ApiError::missing(field)
    }
}

/// Where a value sits, for messages: a member itself, or an item of a list or map member.
#[derive(Clone, Copy)]
enum Within {
    Member,
    List,
    Map,
}

/// One value and the member it belongs to.
struct Member<'a> {
    name: &'a str,
    value: &'a Value,
    within: Within,
}

impl Member<'_> {
    /// The `SerializationException` for a value that is not a `noun` (an (article, singular,
    /// plural) triple), phrased for where the value sits.
    fn wrong(&self, (article, noun, nouns): (&str, &str, &str)) -> ApiError {
        let expected = match self.within {
            Within::Member => format!("{article} {noun}"),
            Within::List => format!("a list of {nouns}"),
            Within::Map => format!("a map of {nouns}"),
        };
        ApiError::new(
            ErrorType::Serialization,
            format!("{} must be {expected}", self.name),
        )
    }

    fn integer<T>(&self) -> Result<T, ApiError>
    where
        T: TryFrom<i64> + Bounded,
        i64: From<T>,
    {
        let number = self.value.as_i64().ok_or_else(|| self.wrong(INTEGER))?;
        T::try_from(number).map_err(|_| {
            ApiError::invalid(
                self.name,
                format!(
                    "Member must have value between {} and {}",
                    i64::from(T::MIN),
                    i64::from(T::MAX)
                ),
            )
        })
    }
}

const STRING: (&str, &str, &str) = ("a", "string", "strings");
const INTEGER: (&str, &str, &str) = ("an", "integer", "integers");
const NUMBER: (&str, &str, &str) = ("a", "number", "numbers");
const BOOLEAN: (&str, &str, &str) = ("a", "boolean", "booleans");
const BASE64: (&str, &str, &str) = ("a", "base64 string", "base64 strings");
const LIST: (&str, &str, &str) = ("a", "list", "lists");
const MAP: (&str, &str, &str) = ("a", "map", "maps");
const OBJECT: (&str, &str, &str) = ("an", "object", "objects");

/// The integer types a member may have, with their bounds for range messages.
trait Bounded: Copy {
    const MIN: Self;
    const MAX: Self;
}

macro_rules! bounded {
    ($($ty:ty),*) => {$(
        impl Bounded for $ty {
            const MIN: Self = <$ty>::MIN;
            const MAX: Self = <$ty>::MAX;
        }
    )*};
}
bounded!(i8, i16, i32, i64, u8, u16, u32);

macro_rules! integers {
    ($($method:ident => $visit:ident: $ty:ty,)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ApiError> {
            visitor.$visit(self.integer::<$ty>()?)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for Member<'_> {
    type Error = ApiError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ApiError> {
        match self.value {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
                (Some(u), _, _) => visitor.visit_u64(u),
                (_, Some(i), _) => visitor.visit_i64(i),
                (_, _, Some(f)) => visitor.visit_f64(f),
                _ => Err(self.wrong(NUMBER)),
            },
            Value::String(_) => self.deserialize_str(visitor),
            Value::Array(_) => self.deserialize_seq(visitor),
            Value::Object(_) => self.deserialize_map(visitor),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ApiError> {
        match self.value {
            Value::Bool(b) => visitor.visit_bool(*b),
            _ => Err(self.wrong(BOOLEAN)),
        }
    }

    integers! {
        deserialize_i8 => visit_i8: i8,
        deserialize_i16 => visit_i16: i16,
        deserialize_i32 => visit_i32: i32,
        deserialize_i64 => visit_i64: i64,
        deserialize_u8 => visit_u8: u8,
        deserialize_u16 => visit_u16: u16,
        deserialize_u32 => visit_u32: u32,
    }

    fn deserialize_u64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ApiError> {
        let number = self.integer::<i64>()?;
        let number = u64::try_from(number).map_err(|_| {
            ApiError::invalid(
                self.name,
                format!("Member must have value between 0 and {}", i64::MAX),
            )
        })?;
        visitor.visit_u64(number)
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ApiError> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ApiError> {
        let number = self.value.as_f64().ok_or_else(|| self.wrong(NUMBER))?;
        visitor.visit_f64(number)
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ApiError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ApiError> {
        let text = self.value.as_str().ok_or_else(|| self.wrong(STRING))?;
        visitor.visit_str(text)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ApiError> {
        self.deserialize_str(visitor)
    }

    /// A blob: base64 text, checked here so the error names the member, then handed to the
    /// visitor as that text.
    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ApiError> {
        let text = self.value.as_str().ok_or_else(|| self.wrong(BASE64))?;
        if STANDARD.decode(text).is_err() {
            return Err(self.wrong(BASE64));
        }
        visitor.visit_str(text)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ApiError> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ApiError> {
        match self.value {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ApiError> {
        match self.value {
            Value::Null => visitor.visit_unit(),
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, ApiError> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, ApiError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ApiError> {
        let items = self.value.as_array().ok_or_else(|| self.wrong(LIST))?;
        visitor.visit_seq(Items {
            name: self.name,
            items: items.iter(),
        })
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, ApiError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, ApiError> {
        self.deserialize_seq(visitor)
    }

    /// A map member: its values are items of it.
    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ApiError> {
        let entries = self.value.as_object().ok_or_else(|| self.wrong(MAP))?;
        visitor.visit_map(Entries {
            name: Some(self.name),
            entries: entries.iter(),
            value: None,
        })
    }

    /// An object: its members are named by their keys; `null` ones are absent.
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ApiError> {
        let entries = self.value.as_object().ok_or_else(|| self.wrong(OBJECT))?;
        visitor.visit_map(Entries {
            name: None,
            entries: entries.iter(),
            value: None,
        })
    }

    /// One of the model's enums: a string naming a variant.
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ApiError> {
        let text = self.value.as_str().ok_or_else(|| self.wrong(STRING))?;
        if !variants.contains(&text) {
            return Err(ApiError::invalid(
                self.name,
                format!(
                    "Member must satisfy enum value set: [{}]",
                    variants.join(", ")
                ),
            ));
        }
        let variant: StrDeserializer<'_, ApiError> = text.into_deserializer();
        visitor.visit_enum(variant)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ApiError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ApiError> {
        visitor.visit_unit()
    }
}

/// The items of a list member.
struct Items<'a> {
    name: &'a str,
    items: std::slice::Iter<'a, Value>,
}

impl<'de> de::SeqAccess<'de> for Items<'_> {
    type Error = ApiError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, ApiError> {
        self.items
            .next()
            .map(|value| {
                seed.deserialize(Member {
                    name: self.name,
                    value,
                    within: Within::List,
                })
            })
            .transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

/// The entries of an object (`name` is `None`: each is a member named by its key, and
/// `null` ones are skipped) or of a map member (each value is an item of member `name`).
struct Entries<'a> {
    name: Option<&'a str>,
    entries: serde_json::map::Iter<'a>,
    value: Option<(&'a str, &'a Value)>,
}

impl<'de> de::MapAccess<'de> for Entries<'_> {
    type Error = ApiError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, ApiError> {
        for (key, value) in self.entries.by_ref() {
            if self.name.is_none() && value.is_null() {
                continue;
            }
            self.value = Some((key, value));
            let key: StrDeserializer<'_, ApiError> = key.as_str().into_deserializer();
            return seed.deserialize(key).map(Some);
        }
        Ok(None)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, ApiError> {
        let (key, value) = self
            .value
            .take()
            .ok_or_else(|| de::Error::custom("a value was read before its key"))?;
        match self.name {
            Some(name) => seed.deserialize(Member {
                name,
                value,
                within: Within::Map,
            }),
            None => seed
                .deserialize(Member {
                    name: key,
                    value,
                    within: Within::Member,
                })
                .map_err(|e| tagging(key, e)),
        }
    }
}

/// GameLift reports every constraint a `Tags` member fails, at any depth, as a
/// `TaggingFailedException`; wrong JSON types stay `SerializationException`s.
fn tagging(member: &str, error: ApiError) -> ApiError {
    if member == "Tags" && error.kind == ErrorType::InvalidRequest {
        ApiError::new(ErrorType::TaggingFailed, error.message)
    } else {
        error
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Deserialize;

    use super::*;
    use crate::api::model::{Blob, GameProperty, PlayerSessionCreationPolicy, Tag};

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "PascalCase")]
    #[allow(dead_code)]
    struct Sample {
        required: String,
        count: Option<i32>,
        properties: Option<Vec<GameProperty>>,
        names: Option<Vec<String>>,
        data: Option<BTreeMap<String, String>>,
        zip: Option<Blob>,
        policy: Option<PlayerSessionCreationPolicy>,
        tags: Option<Vec<Tag>>,
    }

    fn error(body: &str) -> ApiError {
        let body = object(body.as_bytes()).expect("an object");
        decode::<Sample>(&body).expect_err("refused")
    }

    #[test]
    fn reads_members_and_ignores_nulls_and_unknown_members() {
        let body = object(
            br#"{"Required": "r", "Count": null, "Zip": "emlw", "Policy": "DENY_ALL",
                 "Unknown": {"a": [1]}, "Data": {"k": "v"}}"#,
        )
        .expect("an object");
        let sample: Sample = decode(&body).expect("decoded");
        assert_eq!(sample.required, "r");
        assert_eq!(sample.count, None);
        assert_eq!(sample.zip, Some(Blob(b"zip".to_vec())));
        assert_eq!(sample.policy, Some(PlayerSessionCreationPolicy::DenyAll));
        assert_eq!(sample.data.map(|d| d.len()), Some(1));
    }

    #[test]
    fn wrong_types_are_serialization_errors_naming_the_member() {
        for (body, message) in [
            (r#"{"Required": 5}"#, "Required must be a string"),
            (
                r#"{"Required": "r", "Count": 4.5}"#,
                "Count must be an integer",
            ),
            (
                r#"{"Required": "r", "Count": true}"#,
                "Count must be an integer",
            ),
            (r#"{"Required": "r", "Names": "a"}"#, "Names must be a list"),
            (
                r#"{"Required": "r", "Names": [1]}"#,
                "Names must be a list of strings",
            ),
            (
                r#"{"Required": "r", "Properties": [[]]}"#,
                "Properties must be a list of objects",
            ),
            (
                r#"{"Required": "r", "Properties": [{"Key": 1}]}"#,
                "Key must be a string",
            ),
            (r#"{"Required": "r", "Data": []}"#, "Data must be a map"),
            (
                r#"{"Required": "r", "Data": {"k": 1}}"#,
                "Data must be a map of strings",
            ),
            (
                r#"{"Required": "r", "Zip": "no base64!"}"#,
                "Zip must be a base64 string",
            ),
        ] {
            let error = error(body);
            assert_eq!(error.kind, ErrorType::Serialization, "{body}");
            assert_eq!(error.message, message, "{body}");
        }
    }

    #[test]
    fn constraint_failures_are_invalid_requests() {
        let missing = error(r#"{"Required": null}"#);
        assert_eq!(missing.kind, ErrorType::InvalidRequest);
        assert_eq!(
            missing.message,
            "1 validation error detected: Value null at 'required' failed to satisfy \
             constraint: Member must not be null"
        );
        let policy = error(r#"{"Required": "r", "Policy": "SOME"}"#);
        assert_eq!(policy.kind, ErrorType::InvalidRequest);
        assert!(
            policy
                .message
                .ends_with("Member must satisfy enum value set: [ACCEPT_ALL, DENY_ALL]"),
            "{policy:?}"
        );
        let overflow = error(r#"{"Required": "r", "Count": 4294967296}"#);
        assert_eq!(overflow.kind, ErrorType::InvalidRequest);
        assert!(overflow.message.contains("'count'"), "{overflow:?}");
        let tag = error(r#"{"Required": "r", "Tags": [{"Key": "k"}]}"#);
        assert_eq!(tag.kind, ErrorType::TaggingFailed);
        assert!(tag.message.contains("'value'"), "{tag:?}");
    }

    #[test]
    fn bodies_must_be_json_objects() {
        assert_eq!(object(b" ").ok(), Some(Value::Object(Map::new())));
        for body in [b"[]".as_slice(), b"null", b"{", b"42"] {
            let error = object(body).expect_err("refused");
            assert_eq!(error.kind, ErrorType::Serialization);
        }
    }

    /// Any JSON value, a few levels deep, with the members inputs have among its keys.
    fn json() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let names = prop::sample::select(vec![
            "FleetId",
            "AliasId",
            "GameSessionId",
            "MaximumPlayerSessionCount",
            "Name",
            "GameProperties",
            "Key",
            "Value",
            "PlayerIds",
            "PlayerDataMap",
            "PlayerId",
            "Limit",
            "NextToken",
            "ZipFile",
            "Tags",
            "StorageLocation",
            "TerminationMode",
            "ProtectionPolicy",
            "FleetIds",
            "ScriptId",
            "Location",
            "Locations",
            "Filters",
            "RoutingStrategy",
            "Type",
            "Message",
            "Description",
            "RoutingStrategyType",
            "PlacementId",
            "GameSessionQueueName",
            "PlayerLatencies",
            "LatencyInMilliseconds",
            "DesiredPlayerSessions",
            "Destinations",
            "PlayerLatencyPolicies",
            "PriorityConfiguration",
            "PriorityOrder",
            "RuleSetBody",
            "RuleSetName",
            "GameSessionQueueArns",
            "RequestTimeoutSeconds",
            "AcceptanceTimeoutSeconds",
            "AcceptanceRequired",
            "AdditionalPlayerCount",
            "BackfillMode",
            "FlexMatchMode",
            "TicketId",
            "TicketIds",
            "ConfigurationName",
            "Players",
            "PlayerAttributes",
            "LatencyInMs",
            "AcceptanceType",
            "GameSessionArn",
            "Other",
        ]);
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            "[a-zA-Z0-9+/=_ -]{0,12}".prop_map(Value::from),
            Just(Value::from("FORCE_TERMINATE")),
            Just(Value::from("TERMINAL")),
            Just(Value::from("STANDALONE")),
        ];
        leaf.prop_recursive(4, 48, 6, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::btree_map(names.clone().prop_map(str::to_owned), inner, 0..6)
                    .prop_map(|map| Value::Object(map.into_iter().collect())),
            ]
        })
    }

    /// Decodes and validates `body` as input `I` of `op`: whatever it holds, an answer and no
    /// panic.
    fn read<I: crate::api::Request>(op: crate::api::Operation, body: &Value) {
        assert_eq!(I::OPERATION, op);
        if let Ok(input) = decode::<I>(body) {
            let _ = crate::api::Request::validate(&input);
        }
    }

    /// Reads `body` as the input of every operation.
    fn read_every_input(body: &Value) {
        use crate::api::matchmaking_configurations as configurations;
        use crate::api::{
            Operation, admin, aliases, fleets, game_sessions, locations, placements,
            player_sessions, queues, rule_sets, scripts, tickets,
        };
        // A match, so a new operation cannot be left out.
        for op in Operation::ALL {
            match op {
                Operation::CreateGameSession => {
                    read::<game_sessions::CreateGameSessionInput>(op, body)
                }
                Operation::DescribeGameSessions => {
                    read::<game_sessions::DescribeGameSessionsInput>(op, body)
                }
                Operation::DescribeGameSessionDetails => {
                    read::<game_sessions::DescribeGameSessionDetailsInput>(op, body)
                }
                Operation::SearchGameSessions => {
                    read::<game_sessions::SearchGameSessionsInput>(op, body)
                }
                Operation::UpdateGameSession => {
                    read::<game_sessions::UpdateGameSessionInput>(op, body)
                }
                Operation::TerminateGameSession => {
                    read::<game_sessions::TerminateGameSessionInput>(op, body)
                }
                Operation::CreatePlayerSession => {
                    read::<player_sessions::CreatePlayerSessionInput>(op, body)
                }
                Operation::CreatePlayerSessions => {
                    read::<player_sessions::CreatePlayerSessionsInput>(op, body)
                }
                Operation::DescribePlayerSessions => {
                    read::<player_sessions::DescribePlayerSessionsInput>(op, body)
                }
                Operation::DescribeFleetAttributes => {
                    read::<fleets::DescribeFleetAttributesInput>(op, body)
                }
                Operation::DescribeFleetCapacity => {
                    read::<fleets::DescribeFleetCapacityInput>(op, body)
                }
                Operation::DescribeFleetUtilization => {
                    read::<fleets::DescribeFleetUtilizationInput>(op, body)
                }
                Operation::ListFleets => read::<fleets::ListFleetsInput>(op, body),
                Operation::ListLocations => read::<locations::ListLocationsInput>(op, body),
                Operation::DescribeFleetLocationAttributes => {
                    read::<locations::DescribeFleetLocationAttributesInput>(op, body)
                }
                Operation::DescribeFleetLocationCapacity => {
                    read::<locations::DescribeFleetLocationCapacityInput>(op, body)
                }
                Operation::DescribeFleetLocationUtilization => {
                    read::<locations::DescribeFleetLocationUtilizationInput>(op, body)
                }
                Operation::CreateScript => read::<scripts::CreateScriptInput>(op, body),
                Operation::UpdateScript => read::<scripts::UpdateScriptInput>(op, body),
                Operation::DescribeScript => read::<scripts::DescribeScriptInput>(op, body),
                Operation::ListScripts => read::<scripts::ListScriptsInput>(op, body),
                Operation::DeleteScript => read::<scripts::DeleteScriptInput>(op, body),
                Operation::CreateAlias => read::<aliases::CreateAliasInput>(op, body),
                Operation::DescribeAlias => read::<aliases::DescribeAliasInput>(op, body),
                Operation::ListAliases => read::<aliases::ListAliasesInput>(op, body),
                Operation::UpdateAlias => read::<aliases::UpdateAliasInput>(op, body),
                Operation::DeleteAlias => read::<aliases::DeleteAliasInput>(op, body),
                Operation::ResolveAlias => read::<aliases::ResolveAliasInput>(op, body),
                Operation::CreateGameSessionQueue => {
                    read::<queues::CreateGameSessionQueueInput>(op, body)
                }
                Operation::DescribeGameSessionQueues => {
                    read::<queues::DescribeGameSessionQueuesInput>(op, body)
                }
                Operation::UpdateGameSessionQueue => {
                    read::<queues::UpdateGameSessionQueueInput>(op, body)
                }
                Operation::DeleteGameSessionQueue => {
                    read::<queues::DeleteGameSessionQueueInput>(op, body)
                }
                Operation::StartGameSessionPlacement => {
                    read::<placements::StartGameSessionPlacementInput>(op, body)
                }
                Operation::DescribeGameSessionPlacement => {
                    read::<placements::DescribeGameSessionPlacementInput>(op, body)
                }
                Operation::StopGameSessionPlacement => {
                    read::<placements::StopGameSessionPlacementInput>(op, body)
                }
                Operation::CreateMatchmakingRuleSet => {
                    read::<rule_sets::CreateMatchmakingRuleSetInput>(op, body)
                }
                Operation::DescribeMatchmakingRuleSets => {
                    read::<rule_sets::DescribeMatchmakingRuleSetsInput>(op, body)
                }
                Operation::DeleteMatchmakingRuleSet => {
                    read::<rule_sets::DeleteMatchmakingRuleSetInput>(op, body)
                }
                Operation::ValidateMatchmakingRuleSet => {
                    read::<rule_sets::ValidateMatchmakingRuleSetInput>(op, body)
                }
                Operation::CreateMatchmakingConfiguration => {
                    read::<configurations::CreateMatchmakingConfigurationInput>(op, body)
                }
                Operation::DescribeMatchmakingConfigurations => {
                    read::<configurations::DescribeMatchmakingConfigurationsInput>(op, body)
                }
                Operation::UpdateMatchmakingConfiguration => {
                    read::<configurations::UpdateMatchmakingConfigurationInput>(op, body)
                }
                Operation::DeleteMatchmakingConfiguration => {
                    read::<configurations::DeleteMatchmakingConfigurationInput>(op, body)
                }
                Operation::StartMatchmaking => read::<tickets::StartMatchmakingInput>(op, body),
                Operation::DescribeMatchmaking => {
                    read::<tickets::DescribeMatchmakingInput>(op, body)
                }
                Operation::StopMatchmaking => read::<tickets::StopMatchmakingInput>(op, body),
                Operation::AcceptMatch => read::<tickets::AcceptMatchInput>(op, body),
                Operation::StartMatchBackfill => read::<tickets::StartMatchBackfillInput>(op, body),
                Operation::DescribeServer => read::<admin::DescribeServerInput>(op, body),
                Operation::StartDrain => read::<admin::StartDrainInput>(op, body),
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn any_body_decodes_or_is_refused(body in json()) {
            let body = match body {
                object @ Value::Object(_) => object,
                other => Value::Object(Map::from_iter([("Name".to_owned(), other)])),
            };
            read_every_input(&body);
        }
    }
}
