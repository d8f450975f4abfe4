//! The game session operations (control-api.md §2.3): each takes its validated input,
//! acts through the catalog and the host's library API and returns its output.

use super::Control;
use super::error::{ApiError, ErrorType};
use super::paging::{Page, sequence_key};
use super::resolve::{catalog_error, fleet_or_alias, location, not_found_game_session};
use super::search;
use crate::api::Operation;
use crate::api::game_sessions::{
    CreateGameSessionInput, CreateGameSessionOutput, DescribeGameSessionDetailsInput,
    DescribeGameSessionDetailsOutput, DescribeGameSessionsInput, DescribeGameSessionsOutput,
    MAX_PLAYERS_PER_GAME_SESSION, SearchGameSessionsInput, SearchGameSessionsOutput, Selection,
    TerminateGameSessionInput, TerminateGameSessionOutput, UpdateGameSessionInput,
    UpdateGameSessionOutput,
};
use crate::api::model::{
    GameProperty, GameSessionDetail, PlayerSessionCreationPolicy, ProtectionPolicy, TerminationMode,
};
use crate::catalog::{GameSession, GameSessionSpec, GameSessionStatus, GameSessionUpdate};
use crate::core::GameSessionId;

// The API's limit is the host's.
const _: () =
    assert!(MAX_PLAYERS_PER_GAME_SESSION == crate::host::MAX_PLAYERS_PER_GAME_SESSION as i64);

/// Most results of one `SearchGameSessions` page (the model's limit).
const SEARCH_LIMIT: usize = 20;

pub(super) async fn create_game_session(
    control: &Control,
    input: CreateGameSessionInput,
) -> Result<CreateGameSessionOutput, ApiError> {
    fleet_or_alias(
        control,
        input.fleet_id.as_deref(),
        input.alias_id.as_deref(),
    )
    .await?;
    location(control, input.location.as_deref()).await?;
    let token = input.idempotency_token()?.map(str::to_owned);
    let spec = GameSessionSpec {
        // In range 0..=200 by the input's validation.
        max_players: u32::try_from(input.maximum_player_session_count).unwrap_or(0),
        name: input.name,
        properties: properties(input.game_properties),
        creator_id: input.creator_id,
        game_session_data: input.game_session_data,
        matchmaker_data: None,
        idempotency_token: token,
        location: input
            .location
            .unwrap_or_else(|| control.fleet().location.clone()),
    };
    let session = control
        .sessions
        .create_game_session(spec)
        .await
        .map_err(catalog_error)?;
    Ok(CreateGameSessionOutput {
        game_session: control.shapes().game_session(&session),
    })
}

pub(super) async fn describe_game_sessions(
    control: &Control,
    input: DescribeGameSessionsInput,
) -> Result<DescribeGameSessionsOutput, ApiError> {
    let (sessions, next_token) =
        select_game_sessions(control, input.selection(), Operation::DescribeGameSessions).await?;
    let shapes = control.shapes();
    Ok(DescribeGameSessionsOutput {
        game_sessions: sessions.iter().map(|g| shapes.game_session(g)).collect(),
        next_token,
    })
}

pub(super) async fn describe_game_session_details(
    control: &Control,
    input: DescribeGameSessionDetailsInput,
) -> Result<DescribeGameSessionDetailsOutput, ApiError> {
    let (sessions, next_token) = select_game_sessions(
        control,
        input.selection(),
        Operation::DescribeGameSessionDetails,
    )
    .await?;
    let shapes = control.shapes();
    let game_session_details = sessions
        .iter()
        .map(|g| GameSessionDetail {
            game_session: shapes.game_session(g),
            protection_policy: if g.protected {
                ProtectionPolicy::FullProtection
            } else {
                ProtectionPolicy::NoProtection
            },
        })
        .collect();
    Ok(DescribeGameSessionDetailsOutput {
        game_session_details,
        next_token,
    })
}

/// The game sessions a describe call selects (control-api.md §2.3.2), one page of them, and the
/// next page's token.
async fn select_game_sessions(
    control: &Control,
    selection: Selection<'_>,
    op: Operation,
) -> Result<(Vec<GameSession>, Option<String>), ApiError> {
    let game_session = selection.game_session_id.map(GameSessionId::new);
    if game_session.is_none() {
        fleet_or_alias(control, selection.fleet_id, selection.alias_id).await?;
    }
    location(control, selection.location).await?;
    let status = match selection.status_filter {
        None => None,
        Some(name) => Some(GameSessionStatus::parse(name).ok_or_else(|| {
            ApiError::invalid(
                "StatusFilter",
                "Member must be one of ACTIVE, ACTIVATING, TERMINATING, TERMINATED, ERROR",
            )
        })?),
    };
    let location = selection.location.map(str::to_owned);
    let query = (
        game_session.as_ref().map(|g| g.as_str().to_owned()),
        &location,
        status.map(|s| s.as_str()),
    );
    let page = Page::read(selection.limit, selection.next_token, op, &query)?;
    let catalog = &control.catalog;
    let sessions: Vec<GameSession> = match &game_session {
        Some(id) => vec![
            catalog
                .game_session(id)
                .await
                .map_err(catalog_error)?
                .ok_or_else(|| not_found_game_session(id))?,
        ],
        None => catalog
            .game_sessions()
            .await
            .map_err(catalog_error)?
            .into_iter()
            .filter(|g| location.as_ref().is_none_or(|l| *l == g.spec.location))
            .filter(|g| status.is_none_or(|s| s == g.status))
            .collect(),
    };
    Ok(page.apply(sessions, |g| sequence_key(g.sequence, g.id.as_str())))
}

pub(super) async fn search_game_sessions(
    control: &Control,
    input: SearchGameSessionsInput,
) -> Result<SearchGameSessionsOutput, ApiError> {
    fleet_or_alias(
        control,
        input.fleet_id.as_deref(),
        input.alias_id.as_deref(),
    )
    .await?;
    location(control, input.location.as_deref()).await?;
    let syntax = |member: &str, e: search::SyntaxError| {
        ApiError::new(ErrorType::InvalidRequest, format!("invalid {member}: {e}"))
    };
    let filter = input
        .filter_expression
        .as_deref()
        .map(search::parse_filter)
        .transpose()
        .map_err(|e| syntax("FilterExpression", e))?;
    let sort = input
        .sort_expression
        .as_deref()
        .map(search::parse_sort)
        .transpose()
        .map_err(|e| syntax("SortExpression", e))?;
    let query = (
        &input.location,
        &input.filter_expression,
        &input.sort_expression,
    );
    let page = Page::read_limited(
        input.limit,
        input.next_token.as_deref(),
        Operation::SearchGameSessions,
        &query,
        SEARCH_LIMIT,
        SEARCH_LIMIT,
    )?;
    let mut sessions: Vec<GameSession> = control
        .catalog
        .game_sessions()
        .await
        .map_err(catalog_error)?
        .into_iter()
        .filter(|g| g.status == GameSessionStatus::Active)
        .filter(|g| {
            input
                .location
                .as_ref()
                .is_none_or(|l| *l == g.spec.location)
        })
        .filter(|g| filter.as_ref().is_none_or(|f| f.matches(g)))
        .collect();
    // Without a sort, creation order (a stable stand-in for AWS's random order); with one,
    // ties keep that order.
    if let Some(sort) = &sort {
        sessions.sort_by(|a, b| sort.compare(a, b));
    }
    // Paging by rank in this ordering: results are a snapshot (control-api.md §4.5).
    let ranked: Vec<(usize, GameSession)> = sessions.into_iter().enumerate().collect();
    let (ranked, next_token) = page.apply(ranked, |(rank, g)| {
        (*rank as u128, g.id.as_str().to_owned())
    });
    let shapes = control.shapes();
    Ok(SearchGameSessionsOutput {
        game_sessions: ranked.iter().map(|(_, g)| shapes.game_session(g)).collect(),
        next_token,
    })
}

pub(super) async fn update_game_session(
    control: &Control,
    input: UpdateGameSessionInput,
) -> Result<UpdateGameSessionOutput, ApiError> {
    let id = GameSessionId::new(input.game_session_id);
    let update = GameSessionUpdate {
        // In range 0..=200 by the input's validation.
        max_players: input
            .maximum_player_session_count
            .map(|n| u32::try_from(n).unwrap_or(0)),
        name: input.name,
        accepting_player_sessions: input
            .player_session_creation_policy
            .map(|p| p == PlayerSessionCreationPolicy::AcceptAll),
        protected: input
            .protection_policy
            .map(|p| p == ProtectionPolicy::FullProtection),
        properties: properties(input.game_properties),
        matchmaker_data: None,
    };
    let session = control
        .sessions
        .update_game_session(&id, update)
        .await
        .map_err(catalog_error)?;
    Ok(UpdateGameSessionOutput {
        game_session: control.shapes().game_session(&session),
    })
}

pub(super) async fn terminate_game_session(
    control: &Control,
    input: TerminateGameSessionInput,
) -> Result<TerminateGameSessionOutput, ApiError> {
    let id = GameSessionId::new(input.game_session_id);
    let status = control
        .sessions
        .game_session(&id)
        .await
        .map_err(catalog_error)?
        .ok_or_else(|| not_found_game_session(&id))?
        .status;
    if !matches!(
        status,
        GameSessionStatus::Activating | GameSessionStatus::Active
    ) {
        return Err(ApiError::new(
            ErrorType::InvalidGameSessionStatus,
            format!(
                "game session {id} is {} and cannot be terminated",
                status.as_str()
            ),
        ));
    }
    // Both modes run the script's onProcessTerminate; FORCE_TERMINATE then ends the session at
    // once, TRIGGER_ON_PROCESS_TERMINATE gives the script time to end it itself.
    let force = input.termination_mode == TerminationMode::ForceTerminate;
    let reason = if force {
        "FORCE_TERMINATED"
    } else {
        "TRIGGERED_ON_PROCESS_TERMINATE"
    };
    control
        .sessions
        .terminate_game_session(&id, reason, force)
        .await
        .map_err(catalog_error)?;
    let session = control
        .sessions
        .game_session(&id)
        .await
        .map_err(catalog_error)?
        .ok_or_else(|| not_found_game_session(&id))?;
    Ok(TerminateGameSessionOutput {
        game_session: control.shapes().game_session(&session),
    })
}

/// Game properties as the catalog keeps them.
pub(super) fn properties(properties: Vec<GameProperty>) -> Vec<(String, String)> {
    properties.into_iter().map(|p| (p.key, p.value)).collect()
}
