//! `SearchGameSessions` filter and sort expressions (control-api.md §4): parsed once
//! per request into a small tree, then evaluated against each game session.
//!
//! Precedence, tightest first: comparisons, parentheses, `NOT`, `AND`, `OR`; keywords in any
//! letter case; strings in single or double quotes with `\` escaping the next character;
//! at most 32 levels of parentheses and `NOT` around a comparison.

use std::cmp::Ordering;
use std::time::UNIX_EPOCH;

use crate::catalog::GameSession;

/// Most parentheses and `NOT`s around one comparison. The parser recurses once per level, so
/// this bounds its stack use well within a worker thread's whatever the text holds.
const MAX_NESTING: usize = 32;

/// A parse failure, with the character position it was found at.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message} at position {position}")]
pub struct SyntaxError {
    /// What is wrong.
    pub message: String,
    /// Zero-based character position.
    pub position: usize,
}

/// A parsed filter expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Filter {
    /// Either side holds.
    Or(Box<Filter>, Box<Filter>),
    /// Both sides hold.
    And(Box<Filter>, Box<Filter>),
    /// The inner filter does not hold.
    Not(Box<Filter>),
    /// An operand compared with a value.
    Compare(Operand, Comparator, Literal),
}

/// What a comparison or sort looks at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Operand {
    /// The game session id (ARN).
    GameSessionId,
    /// The game session name.
    GameSessionName,
    /// A game property's value.
    Property(String),
    /// `MaximumPlayerSessionCount`.
    MaximumSessions,
    /// Creation time in epoch milliseconds.
    CreationTimeMillis,
    /// `CurrentPlayerSessionCount`.
    PlayerSessionCount,
    /// True while below the maximum player count.
    HasAvailablePlayerSessions,
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Comparator {
    /// `=`
    Eq,
    /// `<>`
    Ne,
    /// `<`
    Lt,
    /// `>`
    Gt,
    /// `<=`
    Le,
    /// `>=`
    Ge,
}

/// A literal value.
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    /// A quoted string.
    Str(String),
    /// A number.
    Num(f64),
    /// `true` or `false`.
    Bool(bool),
}

/// A parsed sort expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sort {
    /// The operand sorted by.
    pub operand: Operand,
    /// Descending instead of ascending.
    pub descending: bool,
}

/// Parses a filter expression.
pub fn parse_filter(text: &str) -> Result<Filter, SyntaxError> {
    let mut parser = Parser::new(text)?;
    let filter = parser.or()?;
    parser.end()?;
    Ok(filter)
}

/// Parses a sort expression: one operand and `ASC` or `DESC`.
pub fn parse_sort(text: &str) -> Result<Sort, SyntaxError> {
    let mut parser = Parser::new(text)?;
    let (word, position) = parser.word("an operand")?;
    let operand = operand(&word, position)?;
    let (direction, position) = parser.word("ASC or DESC")?;
    let descending = match direction.to_ascii_uppercase().as_str() {
        "ASC" => false,
        "DESC" => true,
        _ => return Err(error("expected ASC or DESC", position)),
    };
    parser.end()?;
    Ok(Sort {
        operand,
        descending,
    })
}

impl Filter {
    /// Whether `session` matches.
    pub fn matches(&self, session: &GameSession) -> bool {
        match self {
            Self::Or(a, b) => a.matches(session) || b.matches(session),
            Self::And(a, b) => a.matches(session) && b.matches(session),
            Self::Not(inner) => !inner.matches(session),
            Self::Compare(operand, comparator, literal) => {
                // A value the session does not have makes any comparison false
                // (control-api.md §4.3).
                let Some(value) = operand.value(session) else {
                    return false;
                };
                let ordering = match (&value, literal) {
                    (Value::Num(a), Literal::Num(b)) => a.partial_cmp(b),
                    (Value::Str(a), Literal::Str(b)) => Some(a.as_str().cmp(b.as_str())),
                    (Value::Bool(a), Literal::Bool(b)) => Some(a.cmp(b)),
                    _ => None,
                };
                ordering.is_some_and(|o| comparator.holds(o))
            }
        }
    }
}

impl Sort {
    /// Orders two sessions; sessions without a value come last in both directions.
    pub fn compare(&self, a: &GameSession, b: &GameSession) -> Ordering {
        match (self.operand.value(a), self.operand.value(b)) {
            (Some(x), Some(y)) => {
                let ordering = x.cmp(&y);
                if self.descending {
                    ordering.reverse()
                } else {
                    ordering
                }
            }
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        }
    }
}

impl Comparator {
    fn holds(self, ordering: Ordering) -> bool {
        match self {
            Self::Eq => ordering == Ordering::Equal,
            Self::Ne => ordering != Ordering::Equal,
            Self::Lt => ordering == Ordering::Less,
            Self::Gt => ordering == Ordering::Greater,
            Self::Le => ordering != Ordering::Greater,
            Self::Ge => ordering != Ordering::Less,
        }
    }
}

/// A session's value for an operand.
#[derive(Clone, Debug, PartialEq, PartialOrd)]
enum Value {
    Num(f64),
    Str(String),
    Bool(bool),
}

impl Value {
    fn cmp(&self, other: &Self) -> Ordering {
        self.partial_cmp(other).unwrap_or(Ordering::Equal)
    }
}

impl Operand {
    fn value(&self, s: &GameSession) -> Option<Value> {
        Some(match self {
            Self::GameSessionId => Value::Str(s.id.as_str().to_owned()),
            Self::GameSessionName => Value::Str(s.spec.name.clone()?),
            Self::Property(key) => {
                Value::Str(s.spec.properties.iter().find(|(k, _)| k == key)?.1.clone())
            }
            Self::MaximumSessions => Value::Num(s.spec.max_players.into()),
            Self::CreationTimeMillis => Value::Num(
                s.creation_time
                    .duration_since(UNIX_EPOCH)
                    .map_or(0.0, |d| d.as_millis() as f64),
            ),
            Self::PlayerSessionCount => Value::Num(s.current_player_sessions.into()),
            Self::HasAvailablePlayerSessions => {
                Value::Bool(s.current_player_sessions < s.spec.max_players)
            }
        })
    }

    fn kind(&self) -> Kind {
        match self {
            Self::GameSessionId | Self::GameSessionName | Self::Property(_) => Kind::Str,
            Self::MaximumSessions | Self::CreationTimeMillis | Self::PlayerSessionCount => {
                Kind::Num
            }
            Self::HasAvailablePlayerSessions => Kind::Bool,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Str,
    Num,
    Bool,
}

fn operand(word: &str, position: usize) -> Result<Operand, SyntaxError> {
    Ok(match word {
        "gameSessionId" => Operand::GameSessionId,
        "gameSessionName" => Operand::GameSessionName,
        "maximumSessions" => Operand::MaximumSessions,
        "creationTimeMillis" => Operand::CreationTimeMillis,
        "playerSessionCount" => Operand::PlayerSessionCount,
        "hasAvailablePlayerSessions" => Operand::HasAvailablePlayerSessions,
        _ => {
            let key = word
                .strip_prefix("gameSessionProperties.")
                .filter(|key| {
                    (1..=32).contains(&key.len())
                        && key
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
                })
                .ok_or_else(|| error(&format!("unknown operand '{word}'"), position))?;
            Operand::Property(key.to_owned())
        }
    })
}

fn error(message: &str, position: usize) -> SyntaxError {
    SyntaxError {
        message: message.to_owned(),
        position,
    }
}

/// A token and where it starts; `spaced` says whitespace came before it.
#[derive(Clone, Debug, PartialEq)]
struct Token {
    kind: TokenKind,
    position: usize,
    spaced: bool,
}

#[derive(Clone, Debug, PartialEq)]
enum TokenKind {
    Open,
    Close,
    Word(String),
    Str(String),
    Op(Comparator),
}

struct Parser {
    tokens: Vec<Token>,
    next: usize,
    length: usize,
    /// Parentheses and `NOT`s open around the current position.
    depth: usize,
}

impl Parser {
    fn new(text: &str) -> Result<Self, SyntaxError> {
        let chars: Vec<char> = text.chars().collect();
        let mut tokens = Vec::new();
        let mut i = 0;
        let mut spaced = true;
        while i < chars.len() {
            let c = chars[i];
            if matches!(c, ' ' | '\t' | '\r' | '\n') {
                spaced = true;
                i += 1;
                continue;
            }
            let position = i;
            let kind = match c {
                '(' => {
                    i += 1;
                    TokenKind::Open
                }
                ')' => {
                    i += 1;
                    TokenKind::Close
                }
                '=' => {
                    i += 1;
                    TokenKind::Op(Comparator::Eq)
                }
                '<' | '>' => {
                    let next = chars.get(i + 1).copied();
                    let (comparator, width) = match (c, next) {
                        ('<', Some('=')) => (Comparator::Le, 2),
                        ('<', Some('>')) => (Comparator::Ne, 2),
                        ('>', Some('=')) => (Comparator::Ge, 2),
                        ('<', _) => (Comparator::Lt, 1),
                        _ => (Comparator::Gt, 1),
                    };
                    i += width;
                    TokenKind::Op(comparator)
                }
                '\'' | '"' => {
                    let mut value = String::new();
                    i += 1;
                    loop {
                        match chars.get(i) {
                            None => return Err(error("unterminated string", position)),
                            Some('\\') => {
                                let escaped = chars
                                    .get(i + 1)
                                    .ok_or_else(|| error("unterminated string", position))?;
                                value.push(*escaped);
                                i += 2;
                            }
                            Some(&q) if q == c => {
                                i += 1;
                                break;
                            }
                            Some(&other) => {
                                value.push(other);
                                i += 1;
                            }
                        }
                    }
                    TokenKind::Str(value)
                }
                c if is_word_char(c) => {
                    let start = i;
                    while chars.get(i).copied().is_some_and(is_word_char) {
                        i += 1;
                    }
                    TokenKind::Word(chars[start..i].iter().collect())
                }
                other => return Err(error(&format!("unexpected '{other}'"), position)),
            };
            // Words and strings must be separated by whitespace from the word before them.
            let wordy = |k: &TokenKind| matches!(k, TokenKind::Word(_) | TokenKind::Str(_));
            if !spaced && wordy(&kind) && tokens.last().is_some_and(|t: &Token| wordy(&t.kind)) {
                return Err(error("expected whitespace", position));
            }
            tokens.push(Token {
                kind,
                position,
                spaced,
            });
            spaced = false;
        }
        Ok(Self {
            tokens,
            next: 0,
            length: chars.len(),
            depth: 0,
        })
    }

    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.next)
    }

    fn position(&self) -> usize {
        self.peek().map_or(self.length, |t| t.position)
    }

    fn keyword(&mut self, keyword: &str) -> bool {
        let found = matches!(self.peek(), Some(Token { kind: TokenKind::Word(w), .. })
            if w.eq_ignore_ascii_case(keyword));
        if found {
            self.next += 1;
        }
        found
    }

    fn word(&mut self, expected: &str) -> Result<(String, usize), SyntaxError> {
        match self.peek().cloned() {
            Some(Token {
                kind: TokenKind::Word(word),
                position,
                ..
            }) => {
                self.next += 1;
                Ok((word, position))
            }
            _ => Err(error(&format!("expected {expected}"), self.position())),
        }
    }

    fn end(&self) -> Result<(), SyntaxError> {
        match self.peek() {
            None => Ok(()),
            Some(token) => Err(error("unexpected trailing input", token.position)),
        }
    }

    fn or(&mut self) -> Result<Filter, SyntaxError> {
        let mut left = self.and()?;
        while self.keyword("OR") {
            left = Filter::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Filter, SyntaxError> {
        let mut left = self.not()?;
        while self.keyword("AND") {
            left = Filter::And(Box::new(left), Box::new(self.not()?));
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Filter, SyntaxError> {
        let position = self.position();
        if self.keyword("NOT") {
            return Ok(Filter::Not(Box::new(self.nested(position, Self::not)?)));
        }
        if matches!(
            self.peek(),
            Some(Token {
                kind: TokenKind::Open,
                ..
            })
        ) {
            self.next += 1;
            let inner = self.nested(position, Self::or)?;
            return match self.peek() {
                Some(Token {
                    kind: TokenKind::Close,
                    ..
                }) => {
                    self.next += 1;
                    Ok(inner)
                }
                _ => Err(error("expected ')'", self.position())),
            };
        }
        self.comparison()
    }

    /// Parses with `parse` one level deeper, refusing to pass [`MAX_NESTING`]; `position` is
    /// where the level opens.
    fn nested(
        &mut self,
        position: usize,
        parse: fn(&mut Self) -> Result<Filter, SyntaxError>,
    ) -> Result<Filter, SyntaxError> {
        if self.depth == MAX_NESTING {
            return Err(error(
                &format!("expression nested more than {MAX_NESTING} levels deep"),
                position,
            ));
        }
        self.depth += 1;
        let result = parse(self);
        self.depth -= 1;
        result
    }

    fn comparison(&mut self) -> Result<Filter, SyntaxError> {
        let (word, position) = self.word("an operand")?;
        let operand = operand(&word, position)?;
        let comparator = match self.peek() {
            Some(Token {
                kind: TokenKind::Op(c),
                ..
            }) => *c,
            _ => return Err(error("expected a comparator", self.position())),
        };
        let comparator_position = self.position();
        self.next += 1;
        let value_position = self.position();
        let literal = match self.peek().map(|t| t.kind.clone()) {
            Some(TokenKind::Str(s)) => Literal::Str(s),
            Some(TokenKind::Word(w)) if w.eq_ignore_ascii_case("true") => Literal::Bool(true),
            Some(TokenKind::Word(w)) if w.eq_ignore_ascii_case("false") => Literal::Bool(false),
            Some(TokenKind::Word(w)) if is_number(&w) => {
                Literal::Num(w.parse().map_err(|_| error("bad number", value_position))?)
            }
            _ => return Err(error("expected a value", value_position)),
        };
        self.next += 1;
        let kind = operand.kind();
        let type_ok = matches!(
            (kind, &literal),
            (Kind::Str, Literal::Str(_))
                | (Kind::Num, Literal::Num(_))
                | (Kind::Bool, Literal::Bool(_))
        );
        if !type_ok {
            return Err(error(
                &format!("wrong value type for '{word}'"),
                value_position,
            ));
        }
        if kind != Kind::Num && !matches!(comparator, Comparator::Eq | Comparator::Ne) {
            return Err(error(
                &format!("only = and <> apply to '{word}'"),
                comparator_position,
            ));
        }
        Ok(Filter::Compare(operand, comparator, literal))
    }
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')
}

/// `[-] digits [. digits]`.
fn is_number(word: &str) -> bool {
    let digits = word.strip_prefix('-').unwrap_or(word);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, "0"));
    !whole.is_empty()
        && !fraction.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;
    use crate::catalog::{GameSessionSpec, GameSessionStatus};
    use crate::core::GameSessionId;

    fn session(name: Option<&str>, max: u32, count: u32, props: &[(&str, &str)]) -> GameSession {
        GameSession {
            id: GameSessionId::new("arn:aws:gamelift:local::gamesession/fleet-local/g"),
            spec: GameSessionSpec {
                max_players: max,
                name: name.map(str::to_owned),
                properties: props
                    .iter()
                    .map(|(k, v)| ((*k).into(), (*v).into()))
                    .collect(),
                ..Default::default()
            },
            status: GameSessionStatus::Active,
            status_reason: None,
            creation_time: UNIX_EPOCH + Duration::from_millis(1_767_225_600_123),
            sequence: 0,
            termination_time: None,
            current_player_sessions: count,
            accepting_player_sessions: true,
            protected: false,
            placement: None,
            script: None,
        }
    }

    fn matches(filter: &str, s: &GameSession) -> bool {
        parse_filter(filter)
            .unwrap_or_else(|e| panic!("{filter}: {e}"))
            .matches(s)
    }

    #[test]
    fn documented_examples_evaluate() {
        let duel = session(Some("Matt's Awesome Game 1"), 4, 1, &[("mode", "duel")]);
        assert!(matches(
            "hasAvailablePlayerSessions = true AND gameSessionProperties.mode = 'duel'",
            &duel
        ));
        assert!(matches(
            "gameSessionName = 'Matt\\'s Awesome Game 1'",
            &duel
        ));
        assert!(matches("gameSessionProperties.mode = \"duel\"", &duel));
        assert!(matches("maximumSessions>=4", &duel));
        assert!(matches("creationTimeMillis > 1767225600000", &duel));
        assert!(matches(
            "maximumSessions >= 4 AND NOT (gameSessionName = \"closed\" OR playerSessionCount = 0)",
            &duel
        ));
        assert!(!matches("playerSessionCount <> 1", &duel));
        assert!(matches(
            "maximumSessions = 4.0 and playerSessionCount < 2",
            &duel
        ));
    }

    #[test]
    fn precedence_is_not_then_and_then_or() {
        let s = session(None, 4, 0, &[]);
        // a OR b AND NOT c  ==  a OR (b AND (NOT c))
        assert!(matches(
            "maximumSessions = 4 OR maximumSessions = 9 AND NOT playerSessionCount = 0",
            &s
        ));
        assert!(!matches(
            "(maximumSessions = 4 OR maximumSessions = 9) AND NOT playerSessionCount = 0",
            &s
        ));
        assert!(matches("NOT(maximumSessions = 9)", &s));
        assert!(matches(
            "(maximumSessions = 4)AND playerSessionCount = 0",
            &s
        ));
    }

    #[test]
    fn missing_values_never_match_and_not_inverts_that() {
        let s = session(None, 4, 0, &[]);
        assert!(!matches("gameSessionProperties.mode = 'duel'", &s));
        assert!(!matches("gameSessionProperties.mode <> 'duel'", &s));
        assert!(matches("NOT gameSessionProperties.mode = 'duel'", &s));
        assert!(!matches("gameSessionName <> 'x'", &s));
    }

    #[test]
    fn bad_expressions_name_the_position() {
        let cases = [
            ("maximumSessions = 'four'", 18),
            ("gameSessionName < 'a'", 16),
            ("hasAvailablePlayerSessions = 1", 29),
            ("unknownThing = 1", 0),
            ("gameSessionProperties.a.b = 'x'", 0),
            ("(maximumSessions = 1", 20),
            ("maximumSessions = 1)", 19),
            ("maximumSessions = 1 AND", 23),
            ("gameSessionName = 'open", 18),
            ("gameSessionName = 'x'AND maximumSessions = 1", 21),
            ("maximumSessions = 1 # 2", 20),
        ];
        for (text, position) in cases {
            let err = parse_filter(text).expect_err(text);
            assert_eq!(err.position, position, "{text}: {err}");
        }
    }

    #[test]
    fn sorts_put_missing_values_last_both_ways() {
        let named = session(Some("b"), 4, 3, &[]);
        let unnamed = session(None, 8, 1, &[]);
        let other = session(Some("a"), 2, 2, &[]);
        for text in ["gameSessionName ASC", "gameSessionName desc"] {
            let sort = parse_sort(text).expect(text);
            let mut all = [&unnamed, &named, &other];
            all.sort_by(|a, b| sort.compare(a, b));
            assert_eq!(all[2].spec.name, None, "{text}");
        }
        let sort = parse_sort("playerSessionCount DESC").expect("valid");
        let mut all = [&unnamed, &named, &other];
        all.sort_by(|a, b| sort.compare(a, b));
        assert_eq!(all.map(|s| s.current_player_sessions), [3, 2, 1]);
        assert!(parse_sort("playerSessionCount").is_err());
        assert!(parse_sort("playerSessionCount UP").is_err());
        assert!(parse_sort("playerSessionCount ASC extra").is_err());
    }

    #[test]
    fn refuses_deep_nesting_within_a_worker_stack() {
        // A control-API worker thread has a 2 MiB stack; the request limit is 1024 characters.
        let texts = [
            "(".repeat(1024),
            "NOT(".repeat(256),
            format!("{}maximumSessions = 1", "NOT ".repeat(250)),
            format!("{}maximumSessions = 1{}", "(".repeat(500), ")".repeat(500)),
        ];
        for text in texts {
            let parsed = std::thread::Builder::new()
                .stack_size(2 << 20)
                .spawn(move || parse_filter(&text))
                .expect("thread")
                .join()
                .expect("no stack overflow");
            let error = parsed.expect_err("too deep");
            assert!(error.message.contains("nested"), "{error}");
        }
        let nested = format!(
            "{}maximumSessions = 1{}",
            "NOT (".repeat(MAX_NESTING / 2),
            ")".repeat(MAX_NESTING / 2)
        );
        assert!(parse_filter(&nested).is_ok(), "{nested}");
    }
}
