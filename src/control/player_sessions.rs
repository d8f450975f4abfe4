//! The player session operations (control-api.md §2.4): each takes its validated input,
//! acts through the catalog and the host's library API and returns its output.

use super::Control;
use super::error::{ApiError, ErrorType};
use super::paging::{Page, sequence_key};
use super::resolve::{catalog_error, not_found_game_session};
use crate::api::Operation;
use crate::api::player_sessions::{
    CreatePlayerSessionInput, CreatePlayerSessionOutput, CreatePlayerSessionsInput,
    CreatePlayerSessionsOutput, DescribePlayerSessionsInput, DescribePlayerSessionsOutput,
};
use crate::catalog::PlayerSessionStatus;
use crate::core::GameSessionId;

pub(super) async fn create_player_session(
    control: &Control,
    input: CreatePlayerSessionInput,
) -> Result<CreatePlayerSessionOutput, ApiError> {
    let game_session = GameSessionId::new(input.game_session_id);
    let created = control
        .sessions
        .create_player_sessions(&game_session, vec![(input.player_id, input.player_data)])
        .await
        .map_err(catalog_error)?;
    // The catalog creates one player session per player id it is given.
    let player_session = created
        .first()
        .ok_or_else(|| ApiError::new(ErrorType::Internal, "no player session was created"))?;
    Ok(CreatePlayerSessionOutput {
        player_session: control.shapes().player_session(player_session),
    })
}

pub(super) async fn create_player_sessions(
    control: &Control,
    input: CreatePlayerSessionsInput,
) -> Result<CreatePlayerSessionsOutput, ApiError> {
    let game_session = GameSessionId::new(input.game_session_id);
    let mut data = input.player_data_map;
    let players = input
        .player_ids
        .into_iter()
        .map(|id| {
            let player_data = data.remove(&id);
            (id, player_data)
        })
        .collect();
    let created = control
        .sessions
        .create_player_sessions(&game_session, players)
        .await
        .map_err(catalog_error)?;
    let shapes = control.shapes();
    Ok(CreatePlayerSessionsOutput {
        player_sessions: created.iter().map(|p| shapes.player_session(p)).collect(),
    })
}

pub(super) async fn describe_player_sessions(
    control: &Control,
    input: DescribePlayerSessionsInput,
) -> Result<DescribePlayerSessionsOutput, ApiError> {
    let player_session = input.player_session_id;
    let game_session = input.game_session_id.map(GameSessionId::new);
    let player_id = input.player_id;
    let status = match input.player_session_status_filter.as_deref() {
        None => None,
        Some(name) => Some(PlayerSessionStatus::parse(name).ok_or_else(|| {
            ApiError::invalid(
                "PlayerSessionStatusFilter",
                "Member must be one of RESERVED, ACTIVE, COMPLETED, TIMEDOUT",
            )
        })?),
    };
    let query = (
        &player_session,
        game_session.as_ref().map(|g| g.as_str().to_owned()),
        &player_id,
        status.map(|s| s.as_str()),
    );
    let catalog = &control.catalog;
    let (sessions, next_token) = if let Some(id) = &player_session {
        // One item addressed: Limit and NextToken do not apply.
        let found = catalog
            .player_session(id)
            .await
            .map_err(catalog_error)?
            .ok_or_else(|| ApiError::not_found(format!("No player session matches {id}")))?;
        (vec![found], None)
    } else {
        let sessions = match (&game_session, &player_id) {
            (Some(id), _) => catalog
                .player_sessions_of(id)
                .await
                .map_err(catalog_error)?
                .ok_or_else(|| not_found_game_session(id))?
                .into_iter()
                .filter(|p| status.is_none_or(|s| s == p.status))
                .collect(),
            // The status filter has no effect with PlayerId (model).
            (None, Some(player)) => catalog
                .player_sessions_of_player(player)
                .await
                .map_err(catalog_error)?,
            (None, None) => Vec::new(),
        };
        let page = Page::read(
            input.limit,
            input.next_token.as_deref(),
            Operation::DescribePlayerSessions,
            &query,
        )?;
        page.apply(sessions, |p| sequence_key(p.sequence, &p.id))
    };
    let shapes = control.shapes();
    Ok(DescribePlayerSessionsOutput {
        player_sessions: sessions.iter().map(|p| shapes.player_session(p)).collect(),
        next_token,
    })
}
