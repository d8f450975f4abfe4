"""SearchGameSessions through boto3 and the AWS CLI (control-api.md §2.4.1, §4, §5):
every operand and comparator, precedence, quoting, sorting, paging and bad expressions.

Most tests search a fixed corpus of game sessions on a server of its own, so expressions are
written exactly as a backend would write them, unscoped; tests that create sessions on the
module's shared server scope their searches with a `tag` property of their own.
"""

import operator
import re
import uuid
from dataclasses import dataclass

import pytest

from conftest import (
    FLEET_ARN,
    FLEET_ID,
    aws_cli,
    create_game,
    describe_game,
    expect_error,
    make_client,
    running_server,
    search_ids,
    terminate_game,
)

# Reservations hold their slots for the whole module: counts must not drop under the tests.
VOLLEY_CONFIG = {"sessions": {"reservation_timeout_secs": 3600}}


# ---- The corpus --------------------------------------------------------------------------

# Created in this order; `z` is terminated and must never be found. Players are reserved.
CORPUS = {
    "a": dict(max_players=2, players=0, Name="alpha",
              GameProperties=[{"Key": "mode", "Value": "duel"}]),
    "b": dict(max_players=4, players=2, Name="bravo",
              GameProperties=[{"Key": "mode", "Value": "brawl"}, {"Key": "rank", "Value": "10"},
                              {"Key": "game-mode_2", "Value": "x"}]),
    "c": dict(max_players=3, players=3,  # Full; no name.
              GameProperties=[{"Key": "mode", "Value": "duel"}]),
    "z": dict(max_players=5, players=1, Name="zulu",
              GameProperties=[{"Key": "mode", "Value": "duel"}]),
    "d": dict(max_players=8, players=1, Name="Matt's Game",
              GameProperties=[{"Key": "quote", "Value": 'say "hi"'},
                              {"Key": "path", "Value": "C:\\games"}]),
    "e": dict(max_players=6, players=0, Name="écho"),
}
ACTIVE = "abcde"


@dataclass
class Corpus:
    server: object
    client: object
    ids: dict      # letter -> GameSessionId
    millis: dict   # letter -> creationTimeMillis

    def letters(self, ids):
        """The letters of `ids`, as one string; every id must be one of the corpus."""
        by_id = {v: k for k, v in self.ids.items()}
        assert set(ids) <= set(by_id), ids
        return "".join(by_id[i] for i in ids)

    def search(self, filter_expression=None, sort_expression=None, **params):
        if filter_expression is not None:
            params["FilterExpression"] = filter_expression
        if sort_expression is not None:
            params["SortExpression"] = sort_expression
        return self.letters(search_ids(self.client, **params))


def millis_of(game):
    return round(game["CreationTime"].timestamp() * 1000)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    with running_server(tmp_path_factory.mktemp("search_corpus"), VOLLEY_CONFIG) as server:
        client = make_client(server)
        ids, millis = {}, {}
        for letter, spec in CORPUS.items():
            spec = dict(spec)
            players = spec.pop("players")
            game = create_game(client, **spec)
            if players:
                client.create_player_sessions(
                    GameSessionId=game["GameSessionId"],
                    PlayerIds=[f"{letter}{i}" for i in range(players)],
                )
            ids[letter] = game["GameSessionId"]
            millis[letter] = millis_of(game)
        terminate_game(client, ids["z"])
        for letter in ACTIVE:
            game = describe_game(client, ids[letter])
            assert game["CurrentPlayerSessionCount"] == CORPUS[letter]["players"], game
        yield Corpus(server, client, ids, millis)


# ---- Filters -----------------------------------------------------------------------------

FILTERS = {
    # gameSessionName: = and <>, exact and case-sensitive; a session without a name never
    # matches, not even <>.
    "name-eq": ("gameSessionName = 'alpha'", "a"),
    "name-ne": ("gameSessionName <> 'alpha'", "bde"),
    "name-case-sensitive": ("gameSessionName = 'ALPHA'", ""),
    "name-exact": ("gameSessionName = 'alph'", ""),
    "name-escaped-quote": (r"gameSessionName = 'Matt\'s Game'", "d"),
    "name-double-quotes": ('gameSessionName = "Matt\'s Game"', "d"),
    "name-non-ascii": ("gameSessionName = 'écho'", "e"),
    "name-empty-string": ("gameSessionName <> ''", "abde"),
    "name-of-terminated-session": ("gameSessionName = 'zulu'", ""),
    # gameSessionProperties.<key>: strings; a missing property is false for = and <>.
    "property-eq": ("gameSessionProperties.mode = 'duel'", "ac"),
    "property-ne": ("gameSessionProperties.mode <> 'duel'", "b"),
    "property-not-eq": ("NOT gameSessionProperties.mode = 'duel'", "bde"),
    "property-not-ne": ("NOT gameSessionProperties.mode <> 'duel'", "acde"),
    "property-unknown-eq": ("gameSessionProperties.nothing = 'x'", ""),
    "property-unknown-ne": ("gameSessionProperties.nothing <> 'x'", ""),
    "property-unknown-not-ne": ("NOT gameSessionProperties.nothing <> 'x'", "abcde"),
    "property-number-as-string": ("gameSessionProperties.rank = '10'", "b"),
    "property-key-with-hyphen-underscore-digit": ("gameSessionProperties.game-mode_2 = 'x'", "b"),
    "property-escaped-double-quote": (r'gameSessionProperties.quote = "say \"hi\""', "d"),
    "property-double-quote-in-single-quotes": ("gameSessionProperties.quote = 'say \"hi\"'", "d"),
    "property-escaped-backslash": (r"gameSessionProperties.path = 'C:\\games'", "d"),
    # maximumSessions (a 2, b 4, c 3, d 8, e 6): all six comparators.
    "max-eq": ("maximumSessions = 4", "b"),
    "max-ne": ("maximumSessions <> 4", "acde"),
    "max-lt": ("maximumSessions < 4", "ac"),
    "max-gt": ("maximumSessions > 4", "de"),
    "max-le": ("maximumSessions <= 4", "abc"),
    "max-ge": ("maximumSessions >= 4", "bde"),
    "max-ge-no-spaces": ("maximumSessions>=4", "bde"),
    "max-ne-no-spaces": ("maximumSessions<>4", "acde"),
    "max-lt-negative-no-spaces": ("maximumSessions<-1", ""),
    "max-decimal": ("maximumSessions = 4.0", "b"),
    "max-fraction": ("maximumSessions < 3.5", "ac"),
    "max-negative": ("maximumSessions > -1", "abcde"),
    # playerSessionCount (a 0, b 2, c 3, d 1, e 0).
    "players-eq": ("playerSessionCount = 0", "ae"),
    "players-ne": ("playerSessionCount <> 0", "bcd"),
    "players-lt": ("playerSessionCount < 2", "ade"),
    "players-gt": ("playerSessionCount > 2", "c"),
    "players-le": ("playerSessionCount <= 2", "abde"),
    "players-ge": ("playerSessionCount >= 2", "bc"),
    # hasAvailablePlayerSessions (only c is full): = and <>, literals in any case.
    "available-eq-true": ("hasAvailablePlayerSessions = true", "abde"),
    "available-eq-false": ("hasAvailablePlayerSessions = false", "c"),
    "available-ne-true": ("hasAvailablePlayerSessions <> true", "c"),
    "available-ne-false": ("hasAvailablePlayerSessions <> false", "abde"),
    "available-upper-case": ("hasAvailablePlayerSessions = TRUE", "abde"),
    "available-no-spaces": ("hasAvailablePlayerSessions=False", "c"),
    # Precedence, tightest first: comparisons, parentheses, NOT, AND, OR.
    "a-or-b-and-not-c": (
        "gameSessionName = 'alpha' OR maximumSessions >= 4 AND NOT playerSessionCount = 0",
        "abd",
    ),
    "parentheses-override": (
        "(gameSessionName = 'alpha' OR maximumSessions >= 4) AND NOT playerSessionCount = 0",
        "bd",
    ),
    "and-before-or": ("maximumSessions = 2 OR maximumSessions = 3 AND playerSessionCount = 3",
                      "ac"),
    "and-before-or-reversed": (
        "playerSessionCount = 3 AND maximumSessions = 3 OR maximumSessions = 2", "ac",
    ),
    "not-before-and": ("NOT maximumSessions = 4 AND playerSessionCount = 0", "ae"),
    "not-of-parentheses": ("NOT (maximumSessions = 4 AND playerSessionCount = 2)", "acde"),
    "not-without-space": ("NOT(maximumSessions = 4)", "acde"),
    "double-not": ("NOT NOT maximumSessions = 4", "b"),
    "parenthesis-then-keyword-without-space": ("(maximumSessions = 2)AND playerSessionCount = 0",
                                               "a"),
    "nested-parentheses": ("((maximumSessions = 2) OR (maximumSessions = 8))", "ad"),
    "or-chain": ("maximumSessions = 2 OR maximumSessions = 4 OR maximumSessions = 6", "abe"),
    "lower-case-keywords": (
        "gameSessionName = 'alpha' or maximumSessions = 8 and not playerSessionCount = 0", "ad",
    ),
    "mixed-case-keywords": (
        "NoT maximumSessions = 4 aNd playerSessionCount = 0 Or maximumSessions = 8", "ade",
    ),
    "any-whitespace": ("\t maximumSessions\n=\r\n4 \n", "b"),
    "documented-example": (
        "hasAvailablePlayerSessions = true AND gameSessionProperties.mode = 'duel'", "a",
    ),
    "nested-not": (
        'maximumSessions >= 4 AND NOT (gameSessionName = "closed" OR playerSessionCount = 0)',
        "bd",
    ),
}


@pytest.mark.parametrize("expression, expected", FILTERS.values(), ids=FILTERS.keys())
def test_filter_selects_exactly_the_matching_active_sessions(corpus, expression, expected):
    # Without a sort expression, results come in creation order.
    assert corpus.search(expression) == expected


def test_without_a_filter_every_active_session_is_found(corpus):
    assert corpus.search() == ACTIVE


def test_game_session_id_is_compared_as_a_string(corpus):
    b, z = corpus.ids["b"], corpus.ids["z"]
    assert corpus.search(f"gameSessionId = '{b}'") == "b"
    assert corpus.search(f'gameSessionId = "{b}"') == "b"
    assert corpus.search(f"gameSessionId <> '{b}'") == "acde"
    assert corpus.search(f"gameSessionId = '{b.upper()}'") == ""
    # The terminated session is not found even by its id.
    assert corpus.search(f"gameSessionId = '{z}'") == ""


@pytest.mark.parametrize("comparator", ["=", "<>", "<", ">", "<=", ">="])
def test_creation_time_millis_takes_every_comparator(corpus, comparator):
    compare = {"=": operator.eq, "<>": operator.ne, "<": operator.lt, ">": operator.gt,
               "<=": operator.le, ">=": operator.ge}[comparator]
    pivot = corpus.millis["c"]
    expected = "".join(x for x in ACTIVE if compare(corpus.millis[x], pivot))
    assert corpus.search(f"creationTimeMillis {comparator} {pivot}") == expected
    assert corpus.search(f"creationTimeMillis{comparator}{pivot}") == expected
    assert corpus.search(f"creationTimeMillis {comparator} {pivot}.0") == expected


# ---- Sorting -----------------------------------------------------------------------------

SORTS = {
    # Strings by code point ("M" < "a" < "b" < "é"); sessions without a value last both ways.
    "gameSessionName ASC": "dabec",
    "gameSessionName DESC": "ebadc",
    # Ties (a and c are both "duel") keep creation order; d and e have no mode.
    "gameSessionProperties.mode ASC": "bacde",
    "gameSessionProperties.mode DESC": "acbde",
    "maximumSessions ASC": "acbed",
    "maximumSessions DESC": "debca",
    "playerSessionCount ASC": "aedbc",
    "playerSessionCount DESC": "cbdae",
    # false < true.
    "hasAvailablePlayerSessions ASC": "cabde",
    "hasAvailablePlayerSessions DESC": "abdec",
    # Keywords in any case, whitespace around.
    "maximumSessions desc": "debca",
    "  playerSessionCount\tAsc \n": "aedbc",
}


@pytest.mark.parametrize("sort, expected", SORTS.items(), ids=SORTS.keys())
def test_sort_orders_missing_values_last_and_ties_by_creation(corpus, sort, expected):
    assert corpus.search(sort_expression=sort) == expected


def test_sort_by_game_session_id_and_creation_time(corpus):
    by_id = sorted(ACTIVE, key=lambda x: corpus.ids[x])
    assert corpus.search(sort_expression="gameSessionId ASC") == "".join(by_id)
    assert corpus.search(sort_expression="gameSessionId DESC") == "".join(reversed(by_id))
    # Sessions created in the same millisecond tie, and keep creation order both ways.
    ascending = sorted(ACTIVE, key=lambda x: corpus.millis[x])
    descending = sorted(ACTIVE, key=lambda x: corpus.millis[x], reverse=True)
    assert corpus.search(sort_expression="creationTimeMillis ASC") == "".join(ascending)
    assert corpus.search(sort_expression="creationTimeMillis DESC") == "".join(descending)


def test_filter_and_sort_together(corpus):
    assert corpus.search("hasAvailablePlayerSessions = true",
                         "playerSessionCount DESC") == "bdae"
    assert corpus.search("gameSessionProperties.mode <> 'x'", "gameSessionName ASC") == "abc"


def test_sorted_results_page_in_sort_order(corpus):
    pages = list(corpus.client.get_paginator("search_game_sessions").paginate(
        FleetId=FLEET_ID, SortExpression="maximumSessions DESC",
        PaginationConfig={"PageSize": 2},
    ))
    assert [corpus.letters([g["GameSessionId"] for g in p["GameSessions"]]) for p in pages] == [
        "de", "bc", "a",
    ]
    assert ["NextToken" in p for p in pages] == [True, True, False]


# ---- Scope -------------------------------------------------------------------------------


def test_location_and_fleet_forms(corpus):
    assert corpus.search(Location="local") == ACTIVE
    assert corpus.letters(search_ids(corpus.client, fleet_id=FLEET_ARN)) == ACTIVE
    with expect_error("InvalidRequestException"):
        corpus.client.search_game_sessions(FleetId=FLEET_ID, Location="us-west-2")
    with expect_error("InvalidRequestException", "location"):
        corpus.client.search_game_sessions(FleetId=FLEET_ID, Location="bad location!")


@pytest.mark.parametrize(
    "params, code",
    [
        ({}, "InvalidRequestException"),
        ({"FleetId": FLEET_ID, "AliasId": "alias-1"}, "InvalidRequestException"),
        ({"FleetId": "fleet-nope"}, "NotFoundException"),
        ({"AliasId": "alias-1"}, "NotFoundException"),
        ({"FleetId": "not a fleet"}, "InvalidRequestException"),
    ],
    ids=["neither", "fleet-and-alias", "unknown-fleet", "alias", "fleet-pattern"],
)
def test_search_needs_one_known_fleet(gamelift, params, code):
    with expect_error(code):
        gamelift.search_game_sessions(**params)


def test_only_active_sessions_are_found(gamelift):
    tag = uuid.uuid4().hex
    scope = f"gameSessionProperties.tag = '{tag}'"
    games = [create_game(gamelift, GameProperties=[{"Key": "tag", "Value": tag}])["GameSessionId"]
             for _ in range(3)]
    assert search_ids(gamelift, FilterExpression=scope) == games
    answer = gamelift.terminate_game_session(
        GameSessionId=games[1], TerminationMode="FORCE_TERMINATE"
    )["GameSession"]
    # Gone from search as soon as it is no longer ACTIVE, TERMINATING or TERMINATED.
    assert answer["Status"] in ("TERMINATING", "TERMINATED")
    assert search_ids(gamelift, FilterExpression=scope) == [games[0], games[2]]
    assert search_ids(gamelift, FilterExpression=f"gameSessionId = '{games[1]}'") == []
    terminate_game(gamelift, games[2], "TRIGGER_ON_PROCESS_TERMINATE")
    assert search_ids(gamelift, FilterExpression=scope) == [games[0]]


def test_updates_are_searchable_at_once(gamelift):
    tag = uuid.uuid4().hex
    game = create_game(gamelift, max_players=2, Name="old",
                       GameProperties=[{"Key": "tag", "Value": tag}])["GameSessionId"]
    scope = f"gameSessionProperties.tag = '{tag}' AND "
    gamelift.update_game_session(
        GameSessionId=game, Name="new", MaximumPlayerSessionCount=7,
        GameProperties=[{"Key": "mode", "Value": "duel"}],
    )
    for expression in ("gameSessionName = 'new'", "maximumSessions = 7",
                       "gameSessionProperties.mode = 'duel'"):
        assert search_ids(gamelift, FilterExpression=scope + expression) == [game], expression
    assert search_ids(gamelift, FilterExpression=scope + "gameSessionName = 'old'") == []
    # hasAvailablePlayerSessions looks at the counts, not at the creation policy.
    gamelift.update_game_session(GameSessionId=game, PlayerSessionCreationPolicy="DENY_ALL")
    assert search_ids(
        gamelift, FilterExpression=scope + "hasAvailablePlayerSessions = true"
    ) == [game]
    gamelift.update_game_session(GameSessionId=game, MaximumPlayerSessionCount=0)
    assert search_ids(
        gamelift, FilterExpression=scope + "hasAvailablePlayerSessions = false"
    ) == [game]


# ---- Limit and paging --------------------------------------------------------------------


@pytest.fixture(scope="module")
def many(gamelift):
    """25 game sessions with a tag of their own, MaximumPlayerSessionCount 1..25: (the filter
    selecting them, their ids in creation order)."""
    tag = uuid.uuid4().hex
    ids = [
        create_game(gamelift, max_players=i + 1,
                    GameProperties=[{"Key": "tag", "Value": tag}])["GameSessionId"]
        for i in range(25)
    ]
    return f"gameSessionProperties.tag = '{tag}'", ids


def test_limit_defaults_to_20_and_is_capped_at_20(gamelift, many):
    scope, ids = many
    default = gamelift.search_game_sessions(FleetId=FLEET_ID, FilterExpression=scope)
    assert [g["GameSessionId"] for g in default["GameSessions"]] == ids[:20]
    assert "NextToken" in default
    capped = gamelift.search_game_sessions(FleetId=FLEET_ID, FilterExpression=scope, Limit=100)
    assert [g["GameSessionId"] for g in capped["GameSessions"]] == ids[:20]
    rest = gamelift.search_game_sessions(
        FleetId=FLEET_ID, FilterExpression=scope, Limit=100, NextToken=capped["NextToken"]
    )
    assert [g["GameSessionId"] for g in rest["GameSessions"]] == ids[20:]
    assert "NextToken" not in rest
    small = gamelift.search_game_sessions(FleetId=FLEET_ID, FilterExpression=scope, Limit=5)
    assert [g["GameSessionId"] for g in small["GameSessions"]] == ids[:5]


@pytest.mark.parametrize("page_size, sizes", [(None, [20, 5]), (7, [7, 7, 7, 4]), (20, [20, 5])])
def test_paginator_pages_through_more_than_20_without_gaps_or_repeats(gamelift, many,
                                                                       page_size, sizes):
    scope, ids = many
    config = {} if page_size is None else {"PageSize": page_size}
    pages = list(gamelift.get_paginator("search_game_sessions").paginate(
        FleetId=FLEET_ID, FilterExpression=scope, PaginationConfig=config
    ))
    assert [len(p["GameSessions"]) for p in pages] == sizes
    assert ["NextToken" in p for p in pages] == [True] * (len(sizes) - 1) + [False]
    assert [g["GameSessionId"] for p in pages for g in p["GameSessions"]] == ids


def test_paginator_with_a_sort_pages_in_sort_order(gamelift, many):
    scope, ids = many
    found = search_ids(gamelift, page_size=6, FilterExpression=scope,
                       SortExpression="maximumSessions DESC")
    assert found == ids[::-1]


def test_a_next_token_is_bound_to_its_filter_and_sort(gamelift, many):
    scope, ids = many
    first = gamelift.search_game_sessions(FleetId=FLEET_ID, FilterExpression=scope, Limit=5)
    token = first["NextToken"]
    for other in (
        {"FilterExpression": scope + " AND maximumSessions > 0"},
        {"FilterExpression": scope, "SortExpression": "maximumSessions ASC"},
        {},
    ):
        with expect_error("InvalidRequestException", "nextToken"):
            gamelift.search_game_sessions(FleetId=FLEET_ID, NextToken=token, **other)
    # Another operation's token, and garbage, are refused too.
    described = gamelift.describe_game_sessions(FleetId=FLEET_ID, Limit=1)["NextToken"]
    for bad in (described, "garbage"):
        with expect_error("InvalidRequestException", "nextToken"):
            gamelift.search_game_sessions(FleetId=FLEET_ID, FilterExpression=scope,
                                          NextToken=bad)
    # The same query goes on, whatever the Limit.
    second = gamelift.search_game_sessions(
        FleetId=FLEET_ID, FilterExpression=scope, Limit=3, NextToken=token
    )
    assert [g["GameSessionId"] for g in second["GameSessions"]] == ids[5:8]


# ---- Bad expressions ---------------------------------------------------------------------

INVALID_FILTERS = {
    # (expression, zero-based character position named in the message)
    "string-for-number": ("maximumSessions = 'four'", 18),
    "number-for-string": ("gameSessionName = 4", 18),
    "number-for-property": ("gameSessionProperties.rank = 10", 29),
    "number-for-boolean": ("hasAvailablePlayerSessions = 1", 29),
    "string-for-boolean": ("hasAvailablePlayerSessions = 'true'", 29),
    "boolean-for-number": ("playerSessionCount = true", 21),
    "bare-word-value": ("gameSessionName = alpha", 18),
    "less-than-on-name": ("gameSessionName < 'a'", 16),
    "greater-or-equal-on-property": ("gameSessionProperties.mode >= 'x'", 27),
    "less-or-equal-on-id": ("gameSessionId <= 'x'", 14),
    "greater-than-on-boolean": ("hasAvailablePlayerSessions > false", 27),
    "unknown-operand": ("unknownThing = 1", 0),
    "operand-in-another-case": ("MaximumSessions = 1", 0),
    "unknown-operand-after-and": ("maximumSessions = 1 AND players = 2", 24),
    "property-key-with-dot": ("gameSessionProperties.a.b = 'x'", 0),
    "property-without-key": ("gameSessionProperties. = 'x'", 0),
    "property-key-of-33": ("gameSessionProperties." + "k" * 33 + " = 'x'", 0),
    "unclosed-parenthesis": ("(maximumSessions = 1", 20),
    "unopened-parenthesis": ("maximumSessions = 1)", 19),
    "one-of-two-unclosed": ("((maximumSessions = 1)", 22),
    "empty-parentheses": ("()", 1),
    "trailing-value": ("maximumSessions = 1 2", 20),
    "trailing-comparison": ("maximumSessions = 1 maximumSessions = 2", 20),
    "trailing-character": ("maximumSessions = 1 # 2", 20),
    "dangling-and": ("maximumSessions = 1 AND", 23),
    "lone-not": ("NOT", 3),
    "double-equals": ("maximumSessions == 1", 17),
    "bang-equals": ("maximumSessions != 1", 16),
    "missing-comparator": ("maximumSessions 1", 16),
    "missing-value": ("maximumSessions =", 17),
    "exponent-number": ("maximumSessions = 1e3", 18),
    "leading-dot-number": ("maximumSessions = .5", 18),
    "unterminated-string": ("gameSessionName = 'open", 18),
    "keyword-glued-to-string": ("gameSessionName = 'x'AND maximumSessions = 1", 21),
    "blank": ("   ", 3),
    "position-counts-characters": ("gameSessionName = 'héllo' # x", 26),
}


@pytest.mark.parametrize("expression, position", INVALID_FILTERS.values(),
                         ids=INVALID_FILTERS.keys())
def test_an_invalid_filter_names_its_position(gamelift, expression, position):
    with expect_error("InvalidRequestException", rf"\bposition {position}\b") as error:
        gamelift.search_game_sessions(FleetId=FLEET_ID, FilterExpression=expression)
    assert re.search("(?i)filterExpression", error.value.response["Error"]["Message"])


INVALID_SORTS = {
    "no-direction": ("maximumSessions", 15),
    "unknown-direction": ("maximumSessions UP", 16),
    "trailing-word": ("maximumSessions ASC extra", 20),
    "two-keys": ("maximumSessions ASC, gameSessionName DESC", 19),
    "unknown-operand": ("players DESC", 0),
    "direction-only": ("DESC", 0),
    "property-key-with-dot": ("gameSessionProperties.a.b ASC", 0),
    "a-comparison": ("maximumSessions = 4", 16),
    "blank": (" ", 1),
}


@pytest.mark.parametrize("expression, position", INVALID_SORTS.values(), ids=INVALID_SORTS.keys())
def test_an_invalid_sort_names_its_position(gamelift, expression, position):
    with expect_error("InvalidRequestException", rf"\bposition {position}\b") as error:
        gamelift.search_game_sessions(FleetId=FLEET_ID, SortExpression=expression)
    assert re.search("(?i)sortExpression", error.value.response["Error"]["Message"])


def test_expressions_are_1_to_1024_characters(corpus, gamelift_unvalidated):
    # Lengths count characters: 1024 of them, "é" included, is accepted.
    longest = "gameSessionName <> '" + "é" * 1000 + "'"
    longest += " " * (1024 - len(longest))
    assert corpus.search(longest) == "abde"
    assert corpus.search(" " * 1005 + "maximumSessions = 4") == "b"
    for member, value in (
        ("FilterExpression", " " * 1006 + "maximumSessions = 4"),
        ("FilterExpression", ""),
        ("SortExpression", " " * 1006 + "maximumSessions ASC"),
        ("SortExpression", ""),
    ):
        with expect_error("InvalidRequestException", member[0].lower() + member[1:]):
            gamelift_unvalidated.search_game_sessions(FleetId=FLEET_ID, **{member: value})


# ---- The AWS CLI -------------------------------------------------------------------------


def test_cli_search_game_sessions(corpus):
    found = aws_cli(
        corpus.server, "search-game-sessions",
        "--fleet-id", FLEET_ID,
        "--filter-expression", "maximumSessions >= 4 AND hasAvailablePlayerSessions = true",
        "--sort-expression", "maximumSessions DESC",
        "--page-size", "2",  # The CLI pages through by itself.
    ).json()
    assert [corpus.letters([g["GameSessionId"]]) for g in found["GameSessions"]] == [
        "d", "e", "b",
    ]
    assert [g["Name"] for g in found["GameSessions"]] == ["Matt's Game", "écho", "bravo"]
    assert "NextToken" not in found
