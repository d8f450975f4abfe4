//! `Limit` and `NextToken` (control-api.md §5): keyset paging over items ordered by
//! a creation key (the catalog's creation sequence, or a script's creation time) then id, so
//! creations during a scan neither skip nor repeat items. The token is opaque base64url JSON
//! naming the operation, a digest of the query and the last key.

use std::hash::{Hash, Hasher};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use super::error::ApiError;
use crate::api::{Operation, validate};

/// Page size when `Limit` is absent.
const DEFAULT_LIMIT: usize = 50;
/// Largest page; a larger `Limit` is reduced to it.
const MAX_LIMIT: usize = 100;

/// The sort key of an item: its creation sequence number or creation time in milliseconds,
/// then id.
pub type Key = (u128, String);

/// The sort key of a catalog record with creation sequence number `sequence` and `id`: the
/// order it was created in, even among records of the same millisecond.
pub fn sequence_key(sequence: u64, id: &str) -> Key {
    (u128::from(sequence), id.to_owned())
}

/// The sort key of an item created at `time` with `id`.
pub fn key(time: SystemTime, id: &str) -> Key {
    (
        time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis()),
        id.to_owned(),
    )
}

#[derive(Serialize, Deserialize)]
struct Token {
    op: String,
    q: u64,
    t: u128,
    id: String,
}

/// A page request: how many items, after which key.
pub struct Page {
    limit: usize,
    after: Option<Key>,
    op: &'static str,
    query: u64,
}

impl Page {
    /// Reads `Limit` and `NextToken` for operation `op`, whose other parameters are `query`.
    /// They are checked here, not with the other members, since an operation that
    /// addresses one item does not read them.
    pub fn read(
        limit: Option<i32>,
        next_token: Option<&str>,
        op: Operation,
        query: &impl Hash,
    ) -> Result<Self, ApiError> {
        Self::read_limited(limit, next_token, op, query, DEFAULT_LIMIT, MAX_LIMIT)
    }

    /// Like [`Page::read`] with the operation's own default and largest page size.
    pub fn read_limited(
        limit: Option<i32>,
        next_token: Option<&str>,
        op: Operation,
        query: &impl Hash,
        default_limit: usize,
        max_limit: usize,
    ) -> Result<Self, ApiError> {
        validate::range("Limit", limit, 1, i64::from(i32::MAX))?;
        let limit = limit.map_or(default_limit, |n| {
            usize::try_from(n).map_or(max_limit, |n| n.min(max_limit))
        });
        let mut hasher = std::hash::DefaultHasher::new();
        query.hash(&mut hasher);
        let query = hasher.finish();
        let op = op.name();
        let after = match next_token {
            None => None,
            Some(token) => {
                validate::length("NextToken", token, 1, 1024)?;
                let token: Token = URL_SAFE_NO_PAD
                    .decode(token.as_bytes())
                    .ok()
                    .and_then(|bytes| serde_json::from_slice(&bytes).ok())
                    .filter(|t: &Token| t.op == op && t.q == query)
                    .ok_or_else(|| {
                        ApiError::invalid(
                            "NextToken",
                            "Member must be a token from a previous call with the same parameters",
                        )
                    })?;
                Some((token.t, token.id))
            }
        };
        Ok(Self {
            limit,
            after,
            op,
            query,
        })
    }

    /// The items of this page from `items`, in the order of `key_of` (the order the token
    /// resumes from), and the next token if more remain.
    pub fn apply<T>(
        &self,
        mut items: Vec<T>,
        key_of: impl Fn(&T) -> Key,
    ) -> (Vec<T>, Option<String>) {
        items.sort_by_cached_key(|item| key_of(item));
        let mut rest: Vec<T> = match &self.after {
            Some(after) => items
                .into_iter()
                .filter(|item| key_of(item) > *after)
                .collect(),
            None => items,
        };
        if rest.len() <= self.limit {
            return (rest, None);
        }
        rest.truncate(self.limit);
        let next = rest.last().map(|last| {
            let (t, id) = key_of(last);
            let token = Token {
                op: self.op.to_owned(),
                q: self.query,
                t,
                id,
            };
            // Serializing a struct of strings and integers cannot fail.
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&token).unwrap_or_default())
        });
        (rest, next)
    }
}
