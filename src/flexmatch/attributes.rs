//! Player attribute types and values, as a rule set declares them and tickets carry them;
//! shared by the rule set ([`super::rules`]), expressions ([`super::expr`]) and their
//! evaluation ([`super::eval`]).

use std::collections::BTreeMap;

/// A player attribute's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttributeType {
    /// `string`.
    String,
    /// `number`.
    Number,
    /// `string_list`.
    StringList,
    /// `string_number_map`.
    StringNumberMap,
}

impl AttributeType {
    /// Its keyword in the rule language.
    pub fn name(self) -> &'static str {
        match self {
            AttributeType::String => "string",
            AttributeType::Number => "number",
            AttributeType::StringList => "string_list",
            AttributeType::StringNumberMap => "string_number_map",
        }
    }
}

/// A player attribute value.
#[derive(Clone, Debug, PartialEq)]
pub enum AttributeValue {
    /// A string.
    String(String),
    /// A number.
    Number(f64),
    /// A list of strings.
    StringList(Vec<String>),
    /// Numbers by string key.
    StringNumberMap(BTreeMap<String, f64>),
}
