//! [`ApiError`]: every failure the control API answers, as the AWS SDKs read it
//! (control-api.md §1.5): an error type name (`__type`) and a message. The server turns it
//! into a response (`control`), requests' validation ([`super::Request::validate`]) returns it.

/// An error type name from the GameLift model or the AWS JSON front end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorType {
    /// Input failed validation.
    InvalidRequest,
    /// The body is not JSON, or a member has the wrong JSON type.
    Serialization,
    /// No such resource.
    NotFound,
    /// The game session's status forbids the action.
    InvalidGameSessionStatus,
    /// Not enough free player slots.
    GameSessionFull,
    /// An idempotency token reused with different parameters.
    IdempotentParameterMismatch,
    /// The fleet runs as many game sessions as it may.
    FleetCapacityExceeded,
    /// The fleet cannot host: the server is draining.
    InvalidFleetStatus,
    /// Tags failed validation.
    TaggingFailed,
    /// The alias routes nowhere; the message is the alias's own.
    TerminalRoutingStrategy,
    /// A resource would pass its quota.
    LimitExceeded,
    /// A missing or unknown `X-Amz-Target`.
    UnknownOperation,
    /// The body is over the size limit: `InvalidRequestException`, modeled for every
    /// operation, with HTTP 413 (Payload Too Large), which neither SDK retries.
    RequestTooLarge,
    /// An authentication failure; the type name comes from the verifier.
    Auth(&'static str),
    /// A bug or unexpected failure; its cause is logged, not sent.
    Internal,
}

impl ErrorType {
    /// The `__type` name.
    pub fn name(self) -> &'static str {
        match self {
            Self::InvalidRequest | Self::RequestTooLarge => "InvalidRequestException",
            Self::Serialization => "SerializationException",
            Self::NotFound => "NotFoundException",
            Self::InvalidGameSessionStatus => "InvalidGameSessionStatusException",
            Self::GameSessionFull => "GameSessionFullException",
            Self::IdempotentParameterMismatch => "IdempotentParameterMismatchException",
            Self::FleetCapacityExceeded => "FleetCapacityExceededException",
            Self::InvalidFleetStatus => "InvalidFleetStatusException",
            Self::TaggingFailed => "TaggingFailedException",
            Self::TerminalRoutingStrategy => "TerminalRoutingStrategyException",
            Self::LimitExceeded => "LimitExceededException",
            Self::UnknownOperation => "UnknownOperationException",
            Self::Auth(name) => name,
            Self::Internal => "InternalServiceException",
        }
    }
}

/// A failed request: its error type and a message for the caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    /// The error type.
    pub kind: ErrorType,
    /// The message; never holds secrets or internals.
    pub message: String,
}

impl ApiError {
    /// An error of `kind` with `message`.
    pub fn new(kind: ErrorType, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    /// `InvalidRequestException` in the AWS validation style, naming the member.
    pub fn invalid(member: &str, constraint: impl std::fmt::Display) -> Self {
        Self::new(
            ErrorType::InvalidRequest,
            format!(
                "1 validation error detected: Value at '{}' failed to satisfy constraint: {constraint}",
                lower_camel(member)
            ),
        )
    }

    /// `InvalidRequestException` for a missing required member.
    pub fn missing(member: &str) -> Self {
        Self::new(
            ErrorType::InvalidRequest,
            format!(
                "1 validation error detected: Value null at '{}' failed to satisfy constraint: \
                 Member must not be null",
                lower_camel(member)
            ),
        )
    }

    /// `NotFoundException`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorType::NotFound, message)
    }
}

/// `MaximumPlayerSessionCount` -> `maximumPlayerSessionCount`, as AWS names members.
fn lower_camel(member: &str) -> String {
    let mut chars = member.chars();
    chars
        .next()
        .map(|c| c.to_ascii_lowercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.kind.name(), self.message)
    }
}

impl std::error::Error for ApiError {}
