//! The records of game sessions and player sessions, as the GameLift service API describes
//! them (control-api.md §3): their lifecycles and slots, kept in memory.
//!
//! A player session id maps to one game session, can be used by one login, times out if no
//! login uses it within the reservation timeout, and completes when its player leaves. Ended
//! game sessions and player sessions stay describable for a retention period, then are
//! forgotten, so memory stays bounded under churn. [`super::LocalCatalog`] keeps one behind a
//! lock. Sans-IO: the caller passes the wall-clock time.
//!
//! Lists come in creation order: every record takes the next number of a sequence when it is
//! created, so records created in the same millisecond (or while the wall clock steps back)
//! keep the order they were created in, and paging by that number never skips or repeats.

use std::collections::hash_map::Entry as MapEntry;
use std::collections::{HashMap, HashSet, VecDeque};
use std::time::{Duration, SystemTime};

use crate::core::{GameSessionId, LoginRefusal};

/// A game session's status (GameLift `GameSessionStatus`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GameSessionStatus {
    /// Created, not yet accepting players.
    Activating,
    /// Accepting players.
    Active,
    /// Being terminated.
    Terminating,
    /// Ended.
    Terminated,
    /// Failed to start.
    Error,
}

impl GameSessionStatus {
    /// Every status, in declaration order (`status as usize` indexes it).
    pub const ALL: [Self; 5] = [
        Self::Activating,
        Self::Active,
        Self::Terminating,
        Self::Terminated,
        Self::Error,
    ];

    /// The API name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Activating => "ACTIVATING",
            Self::Active => "ACTIVE",
            Self::Terminating => "TERMINATING",
            Self::Terminated => "TERMINATED",
            Self::Error => "ERROR",
        }
    }

    /// Parses an API name, case-insensitively.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str().eq_ignore_ascii_case(name))
    }

    /// True once the game session ended (`TERMINATED` or `ERROR`).
    pub fn is_ended(self) -> bool {
        matches!(self, Self::Terminated | Self::Error)
    }
}

/// A player session's status (GameLift `PlayerSessionStatus`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlayerSessionStatus {
    /// Reserved, waiting for its client's LOGIN.
    Reserved,
    /// Its client logged in.
    Active,
    /// Its client left, or its game session ended.
    Completed,
    /// No LOGIN arrived within the reservation timeout.
    TimedOut,
}

impl PlayerSessionStatus {
    /// Every status, in declaration order (`status as usize` indexes it).
    pub const ALL: [Self; 4] = [
        Self::Reserved,
        Self::Active,
        Self::Completed,
        Self::TimedOut,
    ];

    /// The API name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reserved => "RESERVED",
            Self::Active => "ACTIVE",
            Self::Completed => "COMPLETED",
            Self::TimedOut => "TIMEDOUT",
        }
    }

    /// Parses an API name, case-insensitively.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str().eq_ignore_ascii_case(name))
    }

    fn holds_slot(self) -> bool {
        matches!(self, Self::Reserved | Self::Active)
    }
}

/// What a new game session is created with.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GameSessionSpec {
    /// Most player sessions (reserved plus active) at once.
    pub max_players: u32,
    /// Optional name.
    pub name: Option<String>,
    /// Key/value properties, at most 16.
    pub properties: Vec<(String, String)>,
    /// Who asked for it.
    pub creator_id: Option<String>,
    /// Opaque data for the game.
    pub game_session_data: Option<String>,
    /// The match that made it, as FlexMatch writes it (JSON text); set by the matchmaker and
    /// rewritten when a backfill adds players.
    pub matchmaker_data: Option<String>,
    /// Idempotency token; also the last segment of the id.
    pub idempotency_token: Option<String>,
    /// The location it runs in.
    pub location: String,
}

/// A game session's record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GameSession {
    /// Its id (an ARN).
    pub id: GameSessionId,
    /// What it was created with.
    pub spec: GameSessionSpec,
    /// Its status.
    pub status: GameSessionStatus,
    /// Why it was terminated, when it was.
    pub status_reason: Option<&'static str>,
    /// When it was created.
    pub creation_time: SystemTime,
    /// Its place in creation order: larger for every later game session of this catalog.
    pub sequence: u64,
    /// When it ended.
    pub termination_time: Option<SystemTime>,
    /// Reserved plus active player sessions.
    pub current_player_sessions: u32,
    /// Whether new player sessions are accepted (`ACCEPT_ALL`) or not (`DENY_ALL`).
    pub accepting_player_sessions: bool,
    /// `FullProtection` (true) or `NoProtection`; stored and reported, nothing scales in.
    pub protected: bool,
    /// The script content it runs, once started; `None` for a pure relay.
    pub script: Option<ScriptRef>,
    /// The host it runs on, in a fleet of hosts; `None` when the catalog is this server's
    /// own, where every game session runs here.
    pub placement: Option<Placement>,
}

/// The host a game session runs on, and where its players connect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placement {
    /// The host's id in the fleet.
    pub host: String,
    /// The IP address game clients connect to.
    pub ip_address: String,
    /// The DNS name game clients connect to.
    pub dns_name: String,
    /// The port game clients connect to.
    pub port: u16,
}

/// Which script content a game session runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScriptRef {
    /// The script resource (`script-<uuid>`).
    pub id: String,
    /// The resource's `Version` when the content was stored.
    pub version: Option<String>,
    /// The content's revision: 1 at creation, +1 per UpdateScript with new content.
    pub revision: u64,
}

/// Changes to a game session; `None` leaves a field as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GameSessionUpdate {
    /// New maximum of player sessions; lowering it evicts nobody.
    pub max_players: Option<u32>,
    /// New name.
    pub name: Option<String>,
    /// Accept new player sessions or not.
    pub accepting_player_sessions: Option<bool>,
    /// Protection policy.
    pub protected: Option<bool>,
    /// Properties to add or overwrite; none are removed.
    pub properties: Vec<(String, String)>,
    /// New matchmaker data (after a backfill).
    pub matchmaker_data: Option<String>,
}

/// A player session's record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlayerSession {
    /// Its id, `psess-...`.
    pub id: String,
    /// The developer's player id.
    pub player_id: String,
    /// Opaque player data.
    pub player_data: Option<String>,
    /// The game session it belongs to.
    pub game_session: GameSessionId,
    /// Its status.
    pub status: PlayerSessionStatus,
    /// When it was reserved.
    pub creation_time: SystemTime,
    /// Its place in creation order: larger for every later player session of this catalog.
    pub sequence: u64,
    /// When it completed or timed out.
    pub termination_time: Option<SystemTime>,
    /// Its game session's host, in a fleet of hosts (see [`GameSession::placement`]).
    pub placement: Option<Placement>,
}

/// Why a catalog operation was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    /// No such game session or player session.
    #[error("{0} not found")]
    NotFound(String),
    /// The game session's status or policy forbids it.
    #[error("game session {id} is {status} and does not accept player sessions")]
    InvalidStatus {
        /// The game session.
        id: GameSessionId,
        /// Its status, or `DENY_ALL`.
        status: &'static str,
    },
    /// Not enough free slots.
    #[error("game session {0} does not have enough free player slots")]
    Full(GameSessionId),
    /// An idempotency token reused with other parameters.
    #[error("idempotency token {0} was already used with different parameters")]
    IdempotentMismatch(String),
    /// An id already exists.
    #[error("{0} already exists")]
    Duplicate(String),
    /// The fleet runs as many game sessions as it may.
    #[error("the fleet has no capacity for another game session")]
    FleetFull,
    /// More game properties than allowed.
    #[error("a game session has at most {0} game properties")]
    TooManyProperties(usize),
    /// The server is draining: it places no new game sessions or player sessions.
    #[error("the fleet is draining and places no new game sessions or player sessions")]
    Draining,
    /// The fleet store failed or could not be reached; the call may be retried.
    #[error("the fleet store is unavailable: {0}")]
    Store(String),
}

/// How many remembered game sessions and player sessions are in each status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StatusCounts {
    /// Game sessions, indexed by `GameSessionStatus as usize`.
    pub game_sessions: [usize; GameSessionStatus::ALL.len()],
    /// Player sessions, indexed by `PlayerSessionStatus as usize`.
    pub player_sessions: [usize; PlayerSessionStatus::ALL.len()],
}

/// The records of one catalog.
#[derive(Debug)]
pub struct Records {
    reservation_timeout: Duration,
    retention: Duration,
    game_sessions: HashMap<GameSessionId, GameSession>,
    player_sessions: HashMap<String, PlayerSession>,
    /// Player session ids of each game session, in creation order.
    by_game_session: HashMap<GameSessionId, Vec<String>>,
    /// Reservations in the order they time out (one timeout for all: insertion order).
    expiring: VecDeque<(SystemTime, String)>,
    /// Ended game sessions in the order they are forgotten.
    ended: VecDeque<(SystemTime, GameSessionId)>,
    /// Player sessions that ended while their game session lives on, in forgetting order.
    ended_players: VecDeque<(SystemTime, String)>,
    /// Game sessions not yet ended.
    running: usize,
    /// The next record's place in creation order (game and player sessions share it).
    next_sequence: u64,
}

impl Records {
    /// No records yet.
    pub fn new(reservation_timeout: Duration, retention: Duration) -> Self {
        Self {
            reservation_timeout,
            retention,
            game_sessions: HashMap::new(),
            player_sessions: HashMap::new(),
            by_game_session: HashMap::new(),
            expiring: VecDeque::new(),
            ended: VecDeque::new(),
            ended_players: VecDeque::new(),
            running: 0,
            next_sequence: 0,
        }
    }

    /// Game sessions that have not ended.
    pub fn running_game_sessions(&self) -> usize {
        self.running
    }

    /// Records a new game session, `ACTIVATING`, under `id`. With an idempotency token that
    /// was used before, returns the earlier session if the parameters match.
    pub fn create_game_session(
        &mut self,
        now: SystemTime,
        id: GameSessionId,
        spec: GameSessionSpec,
    ) -> Result<(GameSession, bool), CatalogError> {
        self.expire(now);
        if let Some(existing) = self.game_sessions.get(&id) {
            return match &spec.idempotency_token {
                Some(_) if existing.spec == spec => Ok((existing.clone(), false)),
                Some(token) => Err(CatalogError::IdempotentMismatch(token.clone())),
                None => Err(CatalogError::Duplicate(id.to_string())),
            };
        }
        let record = GameSession {
            id: id.clone(),
            spec,
            status: GameSessionStatus::Activating,
            status_reason: None,
            creation_time: now,
            sequence: self.take_sequence(),
            termination_time: None,
            current_player_sessions: 0,
            accepting_player_sessions: true,
            protected: false,
            script: None,
            placement: None,
        };
        self.game_sessions.insert(id, record.clone());
        self.running += 1;
        Ok((record, true))
    }

    /// Marks a game session `ACTIVE`: its task runs, with `script` started if it has one.
    pub fn activate(&mut self, id: &GameSessionId, script: Option<ScriptRef>) {
        if let Some(record) = self.game_sessions.get_mut(id)
            && record.status == GameSessionStatus::Activating
        {
            record.status = GameSessionStatus::Active;
            record.script = script;
        }
    }

    /// Marks a game session `TERMINATING` (a termination was asked for).
    pub fn terminating(&mut self, id: &GameSessionId, reason: &'static str) {
        if let Some(record) = self.game_sessions.get_mut(id)
            && !record.status.is_ended()
        {
            record.status = GameSessionStatus::Terminating;
            record.status_reason = Some(reason);
        }
    }

    /// A game session ended: it becomes `status` (`TERMINATED` or `ERROR`; any other is taken
    /// as `TERMINATED`), its remaining player sessions complete (reservations already past
    /// their deadline time out first), and it is forgotten after the retention period.
    pub fn end_game_session(
        &mut self,
        now: SystemTime,
        id: &GameSessionId,
        status: GameSessionStatus,
        reason: Option<&'static str>,
    ) {
        self.expire(now);
        let Some(record) = self.game_sessions.get_mut(id) else {
            return;
        };
        if record.status.is_ended() {
            return;
        }
        record.status = if status.is_ended() {
            status
        } else {
            GameSessionStatus::Terminated
        };
        self.running = self.running.saturating_sub(1);
        if reason.is_some() {
            record.status_reason = reason;
        }
        record.termination_time = Some(now);
        record.current_player_sessions = 0;
        for psid in self.by_game_session.get(id).into_iter().flatten() {
            if let Some(player) = self.player_sessions.get_mut(psid)
                && player.status.holds_slot()
            {
                player.status = PlayerSessionStatus::Completed;
                player.termination_time = Some(now);
            }
        }
        self.ended.push_back((now + self.retention, id.clone()));
    }

    /// Applies `update` to a game session that is `ACTIVATING` or `ACTIVE`. Properties are
    /// merged by key, and the merged set may hold at most `max_properties`.
    pub fn update_game_session(
        &mut self,
        id: &GameSessionId,
        update: GameSessionUpdate,
        max_properties: usize,
    ) -> Result<GameSession, CatalogError> {
        let record = self
            .game_sessions
            .get_mut(id)
            .ok_or_else(|| CatalogError::NotFound(id.to_string()))?;
        if !matches!(
            record.status,
            GameSessionStatus::Activating | GameSessionStatus::Active
        ) {
            return Err(CatalogError::InvalidStatus {
                id: id.clone(),
                status: record.status.as_str(),
            });
        }
        let mut properties = record.spec.properties.clone();
        for (key, value) in update.properties {
            match properties.iter_mut().find(|(k, _)| *k == key) {
                Some(existing) => existing.1 = value,
                None => properties.push((key, value)),
            }
        }
        if properties.len() > max_properties {
            return Err(CatalogError::TooManyProperties(max_properties));
        }
        record.spec.properties = properties;
        if let Some(max_players) = update.max_players {
            record.spec.max_players = max_players;
        }
        if let Some(name) = update.name {
            record.spec.name = Some(name);
        }
        if let Some(accepting) = update.accepting_player_sessions {
            record.accepting_player_sessions = accepting;
        }
        if let Some(protected) = update.protected {
            record.protected = protected;
        }
        if let Some(data) = update.matchmaker_data {
            record.spec.matchmaker_data = Some(data);
        }
        Ok(record.clone())
    }

    /// Reserves one slot per `(id, player id, player data)`, all or nothing.
    pub fn reserve(
        &mut self,
        now: SystemTime,
        game_session: &GameSessionId,
        players: Vec<(String, String, Option<String>)>,
    ) -> Result<Vec<PlayerSession>, CatalogError> {
        self.expire(now);
        let record = self
            .game_sessions
            .get_mut(game_session)
            .ok_or_else(|| CatalogError::NotFound(game_session.to_string()))?;
        if record.status != GameSessionStatus::Active || !record.accepting_player_sessions {
            let status = if record.accepting_player_sessions {
                record.status.as_str()
            } else {
                "DENY_ALL"
            };
            return Err(CatalogError::InvalidStatus {
                id: game_session.clone(),
                status,
            });
        }
        let wanted = u32::try_from(players.len()).unwrap_or(u32::MAX);
        if record.current_player_sessions.saturating_add(wanted) > record.spec.max_players {
            return Err(CatalogError::Full(game_session.clone()));
        }
        let mut asked = HashSet::with_capacity(players.len());
        if let Some((id, ..)) = players
            .iter()
            .find(|(id, ..)| self.player_sessions.contains_key(id) || !asked.insert(id))
        {
            return Err(CatalogError::Duplicate(id.clone()));
        }
        record.current_player_sessions += wanted;
        let ids = self
            .by_game_session
            .entry(game_session.clone())
            .or_default();
        let mut created = Vec::with_capacity(players.len());
        for (id, player_id, player_data) in players {
            let session = PlayerSession {
                id: id.clone(),
                player_id,
                player_data,
                game_session: game_session.clone(),
                status: PlayerSessionStatus::Reserved,
                creation_time: now,
                sequence: self.next_sequence,
                termination_time: None,
                placement: None,
            };
            self.next_sequence += 1;
            ids.push(id.clone());
            self.expiring
                .push_back((now + self.reservation_timeout, id.clone()));
            self.player_sessions.insert(id, session.clone());
            created.push(session);
        }
        Ok(created)
    }

    /// A LOGIN presents player session `id`: its game session, now `ACTIVE`, or why not.
    pub fn claim(&mut self, now: SystemTime, id: &str) -> Result<GameSessionId, LoginRefusal> {
        if id.is_empty() {
            return Err(LoginRefusal::EmptyPlayerSessionId);
        }
        self.expire(now);
        let session = self
            .player_sessions
            .get_mut(id)
            .ok_or(LoginRefusal::UnknownPlayerSession)?;
        match session.status {
            PlayerSessionStatus::Reserved => {
                session.status = PlayerSessionStatus::Active;
                Ok(session.game_session.clone())
            }
            PlayerSessionStatus::Active | PlayerSessionStatus::Completed => {
                Err(LoginRefusal::AlreadyUsed)
            }
            PlayerSessionStatus::TimedOut => Err(LoginRefusal::Expired),
        }
    }

    /// Player session `id`'s client left, or its login was refused after the claim.
    pub fn complete(&mut self, now: SystemTime, id: &str) {
        self.end_player_session(now, id, PlayerSessionStatus::Completed);
    }

    /// A game session's record.
    pub fn game_session(&self, id: &GameSessionId) -> Option<&GameSession> {
        self.game_sessions.get(id)
    }

    /// Every game session's record, in creation order.
    pub fn game_sessions(&self) -> Vec<&GameSession> {
        let mut all: Vec<&GameSession> = self.game_sessions.values().collect();
        all.sort_unstable_by_key(|g| g.sequence);
        all
    }

    /// Game sessions that have not ended, in creation order: the operator's view of what
    /// runs now.
    pub fn running(&self) -> Vec<&GameSession> {
        let mut running: Vec<&GameSession> = self
            .game_sessions
            .values()
            .filter(|g| !g.status.is_ended())
            .collect();
        running.sort_unstable_by_key(|g| g.sequence);
        running
    }

    /// How many of a game session's player sessions are `ACTIVE`: their players logged in.
    pub fn logged_in(&self, game_session: &GameSessionId) -> usize {
        self.player_sessions_of(game_session)
            .iter()
            .filter(|p| p.status == PlayerSessionStatus::Active)
            .count()
    }

    /// A player session's record.
    pub fn player_session(&self, id: &str) -> Option<&PlayerSession> {
        self.player_sessions.get(id)
    }

    /// A game session's player sessions, in creation order.
    pub fn player_sessions_of(&self, game_session: &GameSessionId) -> Vec<&PlayerSession> {
        let ids = self
            .by_game_session
            .get(game_session)
            .map(Vec::as_slice)
            .unwrap_or_default();
        ids.iter()
            .filter_map(|id| self.player_sessions.get(id))
            .collect()
    }

    /// Every player session of one player, in creation order.
    pub fn player_sessions_of_player(&self, player_id: &str) -> Vec<&PlayerSession> {
        let mut found: Vec<&PlayerSession> = self
            .player_sessions
            .values()
            .filter(|p| p.player_id == player_id)
            .collect();
        found.sort_unstable_by_key(|p| p.sequence);
        found
    }

    /// Records remembered: (game sessions, player sessions).
    pub fn len(&self) -> (usize, usize) {
        (self.game_sessions.len(), self.player_sessions.len())
    }

    /// True when nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.game_sessions.is_empty() && self.player_sessions.is_empty()
    }

    /// Remembered records by status, for metrics: one pass over every record.
    pub fn status_counts(&self) -> StatusCounts {
        let mut counts = StatusCounts::default();
        for game in self.game_sessions.values() {
            counts.game_sessions[game.status as usize] += 1;
        }
        for player in self.player_sessions.values() {
            counts.player_sessions[player.status as usize] += 1;
        }
        counts
    }

    /// Times out reservations past their deadline and forgets records past their retention.
    /// Cheap when nothing is due; call it periodically so memory stays bounded.
    pub fn expire(&mut self, now: SystemTime) {
        while let Some((at, _)) = self.expiring.front()
            && *at <= now
        {
            let Some((deadline, id)) = self.expiring.pop_front() else {
                break;
            };
            // The entry may outlive its record, and the id may have been reserved again since:
            // only the reservation it was made for times out.
            let timeout = self.reservation_timeout;
            if self.player_sessions.get(&id).is_some_and(|p| {
                p.status == PlayerSessionStatus::Reserved && p.creation_time + timeout == deadline
            }) {
                // It timed out at its deadline, however late this sweep noticed. Its retention
                // counts from the deadline too, so the forgetting queue may be out of order by
                // at most the reservation timeout, which only delays forgetting.
                self.end_player_session(deadline, &id, PlayerSessionStatus::TimedOut);
            }
        }
        while let Some((at, _)) = self.ended_players.front()
            && *at <= now
        {
            let Some((_, id)) = self.ended_players.pop_front() else {
                break;
            };
            // As above: a record under a reused id is not the one this entry was made for.
            let retention = self.retention;
            let due = self.player_sessions.get(&id).is_some_and(|p| {
                p.termination_time
                    .is_some_and(|ended| ended + retention <= now)
            });
            if !due {
                continue;
            }
            if let Some(player) = self.player_sessions.remove(&id)
                && let MapEntry::Occupied(mut ids) = self.by_game_session.entry(player.game_session)
            {
                ids.get_mut().retain(|p| *p != id);
                if ids.get().is_empty() {
                    ids.remove();
                }
            }
        }
        while let Some((at, _)) = self.ended.front()
            && *at <= now
        {
            let Some((_, id)) = self.ended.pop_front() else {
                break;
            };
            self.game_sessions.remove(&id);
            for psid in self.by_game_session.remove(&id).into_iter().flatten() {
                self.player_sessions.remove(&psid);
            }
        }
    }

    /// The next place in creation order.
    fn take_sequence(&mut self) -> u64 {
        let sequence = self.next_sequence;
        self.next_sequence += 1;
        sequence
    }

    fn end_player_session(&mut self, now: SystemTime, id: &str, status: PlayerSessionStatus) {
        let Some(player) = self.player_sessions.get_mut(id) else {
            return;
        };
        let from = player.status;
        let to_end = match status {
            PlayerSessionStatus::Completed => from == PlayerSessionStatus::Active,
            _ => from == PlayerSessionStatus::Reserved,
        };
        if !to_end {
            return;
        }
        player.status = status;
        player.termination_time = Some(now);
        if let Some(game) = self.game_sessions.get_mut(&player.game_session)
            && !game.status.is_ended()
        {
            game.current_player_sessions = game.current_player_sessions.saturating_sub(1);
        }
        self.ended_players
            .push_back((now + self.retention, id.to_owned()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(max_players: u32) -> GameSessionSpec {
        GameSessionSpec {
            max_players,
            location: "local".into(),
            ..GameSessionSpec::default()
        }
    }

    #[test]
    fn running_lists_live_game_sessions_oldest_first_and_counts_logged_in_players() {
        let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let mut catalog = Records::new(Duration::from_secs(60), Duration::from_secs(3600));
        let later = GameSessionId::new("later");
        let first = GameSessionId::new("first");
        let ended = GameSessionId::new("ended");
        let at = |secs| start + Duration::from_secs(secs);
        catalog
            .create_game_session(at(0), ended.clone(), spec(4))
            .expect("created");
        catalog
            .create_game_session(at(1), first.clone(), spec(4))
            .expect("created");
        catalog
            .create_game_session(at(2), later.clone(), spec(4))
            .expect("created");
        catalog.end_game_session(at(3), &ended, GameSessionStatus::Terminated, None);
        let seats: Vec<(String, String, Option<String>)> = ["a", "b", "c"]
            .iter()
            .map(|p| (format!("psess-{p}"), (*p).to_owned(), None))
            .collect();
        catalog.activate(&first, None);
        catalog.reserve(at(3), &first, seats).expect("reserved");
        catalog.claim(at(4), "psess-a").expect("claimed");
        catalog.claim(at(4), "psess-b").expect("claimed");
        catalog.complete(at(5), "psess-b");

        let running: Vec<(&str, u32, usize)> = catalog
            .running()
            .into_iter()
            .map(|g| {
                (
                    g.id.as_str(),
                    g.current_player_sessions,
                    catalog.logged_in(&g.id),
                )
            })
            .collect();
        // `first`: a logged in, b left, c reserved.
        assert_eq!(running, [("first", 2, 1), ("later", 0, 0)]);
    }

    #[test]
    fn sessions_created_at_the_same_instant_keep_their_creation_order() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let mut catalog = Records::new(Duration::from_secs(60), Duration::from_secs(3600));
        // Ids whose text order differs from their creation order, all in one millisecond.
        let ids: Vec<String> = (0..50)
            .map(|i| format!("gs-{:02}", (i * 37) % 50))
            .collect();
        for id in &ids {
            catalog
                .create_game_session(now, GameSessionId::new(id.as_str()), spec(200))
                .expect("created");
        }
        // A wall clock that steps back does not reorder them either.
        let earlier = now - Duration::from_secs(5);
        catalog
            .create_game_session(earlier, GameSessionId::new("gs-stepped-back"), spec(200))
            .expect("created");
        let mut expected: Vec<&str> = ids.iter().map(String::as_str).collect();
        expected.push("gs-stepped-back");
        let listed: Vec<&str> = catalog
            .game_sessions()
            .iter()
            .map(|g| g.id.as_str())
            .collect();
        assert_eq!(listed, expected);
        let sequences: Vec<u64> = catalog.game_sessions().iter().map(|g| g.sequence).collect();
        assert!(sequences.windows(2).all(|w| w[0] < w[1]), "{sequences:?}");
        for id in &expected {
            catalog.activate(&GameSessionId::new(*id), None);
        }
        let running: Vec<&str> = catalog.running().iter().map(|g| g.id.as_str()).collect();
        assert_eq!(running, expected);

        // Player sessions of one player, reserved in one call and across game sessions.
        let players: Vec<(String, String, Option<String>)> = (0..20)
            .map(|i| {
                (
                    format!("psess-{:02}", (i * 7) % 20),
                    "alice".to_owned(),
                    None,
                )
            })
            .collect();
        let first = GameSessionId::new(expected[0]);
        catalog
            .reserve(now, &first, players.clone())
            .expect("reserved");
        let later = vec![("psess-00a".to_owned(), "alice".to_owned(), None)];
        catalog
            .reserve(earlier, &GameSessionId::new(expected[1]), later)
            .expect("reserved");
        let mut expected: Vec<&str> = players.iter().map(|(id, ..)| id.as_str()).collect();
        expected.push("psess-00a");
        let listed: Vec<&str> = catalog
            .player_sessions_of_player("alice")
            .iter()
            .map(|p| p.id.as_str())
            .collect();
        assert_eq!(listed, expected);
    }
}
