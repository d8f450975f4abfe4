"""The operator console (docs/console.md) in a real browser: Debian's headless `chromium`
driven through `chromedriver` by selenium, against the real binary with game sessions and
connected players. The views show the server's numbers, searches filter and sort and page,
terminating a game session closes its players, the creation policy, a script upload and a
drain work through their confirmations, a wrong access key is refused with a clear error,
and `--dev` needs no key. Then the basics of accessibility (names, keyboard, focus) and the
page's weight, headers and Content-Security-Policy.

Screenshots of the main views go to target/console-screenshots/ (test artefacts). Nothing
waits on a sleep: every wait is a WebDriverWait or `wait_until` with a deadline.
"""

import gzip
import http.client
import json
import shutil
import uuid
from pathlib import Path
from urllib.parse import quote as url_quote

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.ui import WebDriverWait

from conftest import (
    ACCESS_KEY,
    FLEET_ID,
    REPO,
    SECRET,
    call,
    connect_client,
    create_game,
    describe_game,
    expect_error,
    make_client,
    wait_until,
)
from test_fleet import fleet, redis  # noqa: F401 (fixtures)
from test_matchmaking import configuration, rule_set, until_status
from test_placements import new_queue
from test_scripts import hello_zip, make_zip

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"

pytestmark = pytest.mark.skipif(
    CHROMIUM is None or not Path(CHROMEDRIVER).is_file(),
    reason="the console tests need Debian's chromium and chromium-driver "
           "(.ci/test installs them with apt-get)",
)

SCREENSHOTS = REPO / "target" / "console-screenshots"
DIST = REPO / "console" / "dist"
# What the console may weigh, its files gzip-compressed together: light enough to open
# quickly over a slow link to a remote host.
WEIGHT_BUDGET = 500 * 1000
WAIT = 15.0
# Longest one WebDriver command may take.
COMMAND_TIMEOUT = 60

# Ends its game session when asked to terminate, as a Realtime script should.
SCRIPT = """
let session;
exports.ssExports = {
  init(rtSession) { session = rtSession; },
  onProcessTerminate() { return session.processEnding(); },
};
"""


# ---- The browser -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in [
        "--headless=new",
        # CI runs as root, where Chromium's sandbox cannot start.
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1280,1000",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-extensions",
        "--disable-sync",
    ]:
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    # A browser that stops answering fails the test instead of holding it up for good.
    driver.command_executor.client_config.timeout = COMMAND_TIMEOUT
    driver.set_page_load_timeout(WAIT)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    try:
        yield driver
    finally:
        driver.quit()


class Console:
    """The console of `server` in `browser`, with the waits every step needs."""

    def __init__(self, browser, server):
        self.browser = browser
        self.server = server
        self.base = f"{server.control_url}/console/"

    # -- waiting

    def until(self, condition, what, timeout=WAIT):
        """Waits for `condition()` to be truthy (DOM reads that go stale count as not yet)."""
        def probe(_):
            try:
                return condition()
            except StaleElementReferenceException:
                return False
        return WebDriverWait(self.browser, timeout).until(probe, message=what)

    def rendered(self, action, what):
        """Runs `action`, which makes the page render a view, and waits until that view is
        rendered: a marker left in the old view is gone and the main area is not busy."""
        self.browser.execute_script(
            "const marker = document.createElement('i'); marker.id = 'stale-view';"
            "document.getElementById('main').append(marker);")
        action()
        self.until(lambda: self.browser.execute_script(
            "return !document.getElementById('stale-view')"
            " && !document.getElementById('main').hasAttribute('aria-busy')"
            " && !!document.querySelector('#main h1')"), what)

    # -- navigating

    def open(self, fragment="#/fleet"):
        """Loads the page afresh at `fragment`; the first view renders once connected."""
        # By way of a blank page: from the same URL, a new fragment would not reload.
        self.browser.get("about:blank")
        self.browser.get(self.base + fragment)
        self.until(lambda: self.browser.execute_script(
            "return !!document.querySelector('#access-key-id')"
            " || (!document.querySelector('#nav').hidden"
            "     && !document.getElementById('main').hasAttribute('aria-busy')"
            "     && !document.querySelector('#main .loading'))"), "the console to start")

    def sign_in(self, key_id=ACCESS_KEY, secret=SECRET):
        self.find("#access-key-id").clear()
        self.find("#access-key-id").send_keys(key_id)
        self.find("#secret-access-key").clear()
        self.find("#secret-access-key").send_keys(secret)
        self.find("form.sign-in button[type=submit]").click()

    def signed_in(self, key_id=ACCESS_KEY, secret=SECRET):
        self.open()
        self.rendered(lambda: self.sign_in(key_id, secret), "the first view after signing in")

    def go(self, fragment):
        """Shows the view of `fragment`, as following a link does."""
        if self.browser.execute_script("return window.location.hash") == fragment:
            # Setting the same fragment again changes nothing: load the page again.
            self.open(fragment)
            return
        self.rendered(lambda: self.browser.execute_script(
            "window.location.hash = arguments[0]", fragment), f"view {fragment}")

    # -- reading

    def find(self, css, within=None):
        return (within or self.browser).find_element(By.CSS_SELECTOR, css)

    def find_all(self, css, within=None):
        return (within or self.browser).find_elements(By.CSS_SELECTOR, css)

    def text(self, css):
        return self.find(css).text

    def stat(self, name):
        return self.text(f"[data-stat={name}] .stat-value")

    def button(self, text, within=None):
        """The button whose text or accessible name is `text`."""
        for candidate in self.find_all("button", within):
            if candidate.text == text or candidate.get_attribute("aria-label") == text:
                return candidate
        raise AssertionError(f"no button {text!r}")

    def session_rows(self):
        return [row.get_attribute("data-game-session-id")
                for row in self.find_all("tr[data-game-session-id]")]

    def dialog(self):
        return self.until(lambda: self.find_all("dialog[open]") and self.find("dialog[open]"),
                          "a dialog")

    def confirm(self, dialog):
        """Presses the dialog's confirming button and waits for the view it re-renders."""
        self.rendered(lambda: self.find("button[type=submit]", dialog).click(),
                      "the view after the dialog")

    def shot(self, name):
        self.browser.save_screenshot(str(SCREENSHOTS / f"{name}.png"))

    def problems(self):
        """What the page logged that is not a refused request: script errors and
        Content-Security-Policy violations."""
        return [entry for entry in self.browser.get_log("browser")
                if entry["level"] == "SEVERE" and "Failed to load resource" not in entry["message"]]


# ---- Fixtures ----------------------------------------------------------------------------


@pytest.fixture
def scripted(server_factory, tmp_path):
    """A signed server whose fleet runs SCRIPT."""
    path = tmp_path / "ends.js"
    path.write_text(SCRIPT)
    return server_factory(args=["--script", str(path)])


def game(client, name, mode, max_players, **params):
    return create_game(client, max_players=max_players, Name=name,
                       GameProperties=[{"Key": "mode", "Value": mode}], **params)


# ---- The views ---------------------------------------------------------------------------


def test_the_views_show_the_server_and_search_filters_sorts_and_pages(
        scripted, browser, line_client):
    server = scripted
    client = make_client(server)
    duel = game(client, "duel-1", "duel", 2)
    duel2 = game(client, "duel-2", "duel", 4)
    lobby = game(client, "lobby", "lobby", 8)
    solos = [game(client, f"solo-{i}", "solo", 1) for i in range(3)]
    seats = client.create_player_sessions(
        GameSessionId=duel["GameSessionId"], PlayerIds=["alice", "bob"])["PlayerSessions"]
    for seat in seats:
        connect_client(line_client, server, seat["PlayerSessionId"])
    client.create_player_session(GameSessionId=lobby["GameSessionId"], PlayerId="carol")
    # Six game sessions running, three player sessions (two connected), 1+4+8+3 slots.
    console = Console(browser, server)
    console.signed_in()
    assert console.browser.title.startswith("Fleet")
    assert console.stat("players-connected") == "2"
    assert console.stat("game-sessions") == "6"
    assert console.stat("player-sessions") == "3"
    assert console.stat("hosts") == "1"
    assert console.text("[data-meter=processes] .meter-text").startswith("6 of 10,000")
    assert console.text("[data-meter=player-slots] .meter-text").startswith("3 of 17")
    host = console.find("tr[data-host]")
    assert "2" in host.text and "6 of 10,000" in host.text
    assert "ends.js" in console.text("main"), "the fleet's script is named"
    console.shot("fleet")

    # Every active game session, newest search first by default order: creation order.
    console.go("#/sessions")
    ids = console.session_rows()
    assert ids == [g["GameSessionId"] for g in [duel, duel2, lobby, *solos]]
    console.shot("game-sessions")

    def search(filter_text="", free=False, sort="", order="DESC", size="20"):
        console.find("#filter").clear()
        console.find("#filter").send_keys(filter_text)
        if console.find("#free").is_selected() != free:
            console.find("#free").click()
        select(console, "#sort", sort)
        select(console, "#order", order)
        select(console, "#limit", size)
        console.rendered(lambda: console.find("form.search button[type=submit]").click(),
                         "search results")
        return console.session_rows()

    assert search("gameSessionProperties.mode = 'duel'") == [
        duel["GameSessionId"], duel2["GameSessionId"]]
    assert search("gameSessionProperties.mode = 'duel'", free=True) == [duel2["GameSessionId"]]
    assert search(sort="playerSessionCount", order="DESC")[:2] == [
        duel["GameSessionId"], lobby["GameSessionId"]]
    assert search(sort="maximumSessions", order="ASC")[-1] == lobby["GameSessionId"]
    # The form's values are in the fragment: a reload shows the same search.
    assert "sort=maximumSessions" in console.browser.current_url

    # Pages of five: five, then one, then back.
    first = search(size="5")
    assert len(first) == 5
    assert "more on the next page" in console.text(".result-count")
    console.button("Next page").click()
    console.until(lambda: console.text(".result-count").startswith("Page 2"), "page 2")
    assert len(console.session_rows()) == 1
    assert set(console.session_rows()).isdisjoint(first)
    assert not console.button("Next page").is_enabled()
    console.button("Previous page").click()
    console.until(lambda: console.text(".result-count").startswith("Page 1"), "page 1")
    assert console.session_rows() == first

    # An expression the server refuses: its error code and message, where it fails.
    search("maximumSessions = 'eight'")
    error = console.text("main .error")
    assert "InvalidRequestException" in error and "maximumSessions" in error, error

    # Ended game sessions by status.
    client.terminate_game_session(
        GameSessionId=solos[0]["GameSessionId"], TerminationMode="FORCE_TERMINATE")
    wait_until(lambda: describe_game(client, solos[0]["GameSessionId"])["Status"] == "TERMINATED")
    console.go("#/sessions?status=TERMINATED")
    assert console.session_rows() == [solos[0]["GameSessionId"]]
    assert not console.find("#filter").is_enabled(), "search expressions are for ACTIVE only"

    # One game session: its record, script and players.
    console.go("#/sessions")
    console.rendered(lambda: console.find(
        f"tr[data-game-session-id='{duel['GameSessionId']}'] a").click(), "the game session")
    assert console.text("[data-field=id]") == duel["GameSessionId"]
    assert "ACTIVE" in console.text("[data-field=status]")
    assert console.text("[data-field=players]") == "2 of 2"
    assert console.text("[data-field=connected]") == "2"
    assert console.text("[data-field=policy]") == "ACCEPT_ALL"
    fleet_script = client.describe_fleet_attributes()["FleetAttributes"][0]["ScriptId"]
    assert console.text("[data-field=script]").startswith(fleet_script)
    assert "revision 1" in console.text("[data-field=script]")
    players = {row.get_attribute("data-player-session-id"): row.text
               for row in console.find_all("tr[data-player-session-id]")}
    assert set(players) == {s["PlayerSessionId"] for s in seats}
    assert all("ACTIVE" in text for text in players.values()), players
    assert "duel" in console.text("main")  # The game property.
    console.shot("game-session")
    assert console.problems() == []


def select(console, css, value):
    """Chooses the option of `value` in a select."""
    Select(console.find(css)).select_by_value(value)


# ---- Actions -----------------------------------------------------------------------------


def test_terminating_closes_the_players_and_the_creation_policy_changes(
        scripted, browser, line_client):
    server = scripted
    client = make_client(server)
    duel = game(client, "duel", "duel", 2)
    quiet = game(client, "quiet", "duel", 2)
    seats = client.create_player_sessions(
        GameSessionId=duel["GameSessionId"], PlayerIds=["alice", "bob"])["PlayerSessions"]
    players = [connect_client(line_client, server, s["PlayerSessionId"])[0] for s in seats]
    console = Console(browser, server)
    console.signed_in()

    # Deny new player sessions, confirmed: the server refuses them.
    console.go(f"#/session/{quote(quiet['GameSessionId'])}")
    console.button("Deny new player sessions…").click()
    dialog = console.dialog()
    assert "DENY_ALL" in dialog.text
    console.confirm(dialog)
    assert console.text("[data-field=policy]") == "DENY_ALL"
    assert "denies new player sessions" in console.text("#notice")
    assert describe_game(client, quiet["GameSessionId"])["PlayerSessionCreationPolicy"] == "DENY_ALL"
    with expect_error("InvalidGameSessionStatusException"):
        client.create_player_session(GameSessionId=quiet["GameSessionId"], PlayerId="dan")
    console.button("Accept new player sessions…").click()
    console.confirm(console.dialog())
    assert console.text("[data-field=policy]") == "ACCEPT_ALL"

    # Cancelled, nothing happens.
    console.go(f"#/session/{quote(duel['GameSessionId'])}")
    console.button("Terminate…").click()
    dialog = console.dialog()
    console.shot("terminate-dialog")
    console.button("Cancel", dialog).click()
    console.until(lambda: not console.find_all("dialog"), "the dialog to close")
    assert describe_game(client, duel["GameSessionId"])["Status"] == "ACTIVE"

    # FORCE_TERMINATE: both players see the close, their player sessions complete.
    console.button("Terminate…").click()
    dialog = console.dialog()
    console.find("#mode-force", dialog).click()
    console.confirm(dialog)
    for player in players:
        player.expect(r"^closed \(1001 session_ended\)")
    wait_until(lambda: describe_game(client, duel["GameSessionId"])["Status"] == "TERMINATED")
    console.rendered(lambda: console.button("Refresh").click(), "the refreshed game session")
    assert "TERMINATED" in console.text("[data-field=status]")
    assert "FORCE_TERMINATED" in console.text("[data-field=status]")
    assert console.text("[data-field=ended]").endswith("UTC")
    rows = console.find_all("tr[data-player-session-id]")
    assert len(rows) == 2 and all("COMPLETED" in row.text for row in rows)
    assert not [b for b in console.find_all("button") if b.text == "Terminate…"], \
        "an ended game session has no actions"
    console.shot("game-session-terminated")

    # TRIGGER_ON_PROCESS_TERMINATE: the script ends it.
    console.go(f"#/session/{quote(quiet['GameSessionId'])}")
    console.button("Terminate…").click()
    dialog = console.dialog()
    assert console.find("#mode-trigger", dialog).is_selected(), "the gentler mode is the default"
    console.confirm(dialog)
    final = wait_until(lambda: (g := describe_game(client, quiet["GameSessionId"]))["Status"]
                       == "TERMINATED" and g)
    assert final["StatusReason"] == "TRIGGERED_ON_PROCESS_TERMINATE"
    assert console.problems() == []


def quote(text):
    """`text` as one part of the fragment (a game session's ARN has slashes)."""
    return url_quote(text, safe="")


def test_a_new_script_version_is_uploaded(server, browser, tmp_path):
    client = make_client(server)
    name = f"arena-{uuid.uuid4().hex[:6]}"
    script = client.create_script(Name=name, Version="1.0", ZipFile=hello_zip())["Script"]
    console = Console(browser, server)
    console.signed_in()
    console.go("#/scripts")
    row = console.find(f"tr[data-script-id='{script['ScriptId']}']")
    assert console.text(f"tr[data-script-id='{script['ScriptId']}'] [data-field=version]") == "1.0"
    console.shot("scripts")

    not_zip = tmp_path / "notes.zip"
    not_zip.write_text("not a zip")
    no_index = tmp_path / "empty.zip"
    no_index.write_bytes(make_zip({"README": "no index.js"}))
    good = tmp_path / "arena.zip"
    good.write_bytes(hello_zip(**{"lib/extra.js": "exports.x = 1;\n"}))

    console.button(f"Upload a new version of {name}", row).click()
    dialog = console.dialog()
    # Refused in the browser, then by the server: the dialog stays, with the reason.
    console.find("#script-zip", dialog).send_keys(str(not_zip))
    console.find("button[type=submit]", dialog).click()
    console.until(lambda: "not a zip file" in console.text("dialog[open] .dialog-error"),
                  "the browser's refusal")
    console.find("#script-zip", dialog).send_keys(str(no_index))
    console.find("button[type=submit]", dialog).click()
    console.until(lambda: "InvalidRequestException" in console.text("dialog[open] .dialog-error"),
                  "the server's refusal")
    assert client.describe_script(ScriptId=script["ScriptId"])["Script"]["Version"] == "1.0"

    console.find("#script-zip", dialog).send_keys(str(good))
    console.find("#script-version", dialog).send_keys("2.0")
    console.confirm(dialog)
    assert console.text(f"tr[data-script-id='{script['ScriptId']}'] [data-field=version]") == "2.0"
    stored = client.describe_script(ScriptId=script["ScriptId"])["Script"]
    assert stored["Version"] == "2.0" and stored["SizeOnDisk"] == good.stat().st_size
    assert "is now version 2.0" in console.text("#notice")


def test_drain_asks_first_and_drains_this_host(server_factory, browser, line_client):
    server = server_factory()
    client = make_client(server)
    playing = game(client, "stays", "duel", 2)
    seat = client.create_player_session(
        GameSessionId=playing["GameSessionId"], PlayerId="p")["PlayerSession"]
    connect_client(line_client, server, seat["PlayerSessionId"])
    console = Console(browser, server)
    console.signed_in()
    host_id = console.find("tr[data-host]").get_attribute("data-host")
    console.button(f"Drain host {host_id}").click()
    dialog = console.dialog()
    assert "cannot be undone" in dialog.text
    assert browser.switch_to.active_element.text == "Cancel", "a destructive dialog starts on Cancel"
    console.confirm(dialog)
    assert "is draining" in console.text("#notice")
    assert "draining" in console.text(f"tr[data-host='{host_id}']")
    status, _ = get(server, "/ready")
    assert status == 503
    console.shot("fleet-draining")
    server.stop()  # Before the player leaves, which would end the drain and the server.


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed")
def test_a_fleet_shows_every_host_and_drains_only_the_one_serving_the_console(
        fleet, browser, line_client):  # noqa: F811 - the fixture imported above
    a = fleet("host-a", location="custom-a")
    b = fleet("host-b", location="custom-b")
    client = make_client(a)
    on_b = game(client, "on-b", "duel", 2, Location="custom-b")
    seat = client.create_player_session(
        GameSessionId=on_b["GameSessionId"], PlayerId="p")["PlayerSession"]
    connect_client(line_client, b, seat["PlayerSessionId"])

    console = Console(browser, a)
    console.signed_in()
    console.until(lambda: len(console.find_all("tr[data-host]")) == 2, "both hosts")
    assert console.stat("hosts") == "2" and console.stat("locations") == "2"
    row_a = console.find("tr[data-host=host-a]")
    row_b = console.find("tr[data-host=host-b]")
    assert "this host" in row_a.text and console.button("Drain host host-a", row_a)
    assert "from its own control listener" in row_b.text
    assert not console.find_all("button", row_b)
    assert "1 of 100" in row_b.text
    console.shot("fleet-two-hosts")

    # host-b's own console drains host-b; host-a's shows it draining.
    other = Console(browser, b)
    other.signed_in()
    other.button("Drain host host-b").click()
    other.confirm(other.dialog())
    wait_until(lambda: any(h["HostId"] == "host-b" and h["Draining"] for h in call(
        a, {}, target="Volley.DescribeServer").json()["Fleet"]["Hosts"]), what="host-b draining")
    console.open()
    assert "draining" in console.text("tr[data-host=host-b]")
    assert "active" in console.text("tr[data-host=host-a]")
    b.stop()


def test_matchmaking_queues_aliases_and_counters(server_factory, browser, line_client):
    server = server_factory()
    client = make_client(server)
    alias = client.create_alias(
        Name="live", RoutingStrategy={"Type": "SIMPLE", "FleetId": FLEET_ID})["Alias"]
    queue = new_queue(client)
    placement_id = f"place-{uuid.uuid4().hex[:8]}"
    client.start_game_session_placement(
        PlacementId=placement_id, GameSessionQueueName=queue["Name"],
        MaximumPlayerSessionCount=2, DesiredPlayerSessions=[{"PlayerId": "pia"}])
    placed = wait_until(
        lambda: (p := client.describe_game_session_placement(PlacementId=placement_id)[
            "GameSessionPlacement"])["Status"] == "FULFILLED" and p, what="placement fulfilled")
    rules = rule_set(client, {
        "name": "one-on-one", "ruleLanguageVersion": "1.0",
        "teams": [{"name": "red", "minPlayers": 1, "maxPlayers": 1},
                  {"name": "blue", "minPlayers": 1, "maxPlayers": 1}]})
    config = configuration(client, rules, queue=queue)
    tickets = [client.start_matchmaking(
        ConfigurationName=config["Name"], Players=[{"PlayerId": p}])["MatchmakingTicket"]["TicketId"]
        for p in ["ann", "ben"]]
    done = until_status(client, tickets, {"COMPLETED"})
    matched = next(iter(done.values()))["GameSessionConnectionInfo"]["GameSessionArn"]

    console = Console(browser, server)
    console.signed_in()
    console.go("#/aliases")
    assert FLEET_ID in console.text(f"tr[data-alias-id='{alias['AliasId']}']")

    console.go("#/queues")
    assert console.find_all(f"tr[data-queue='{queue['Name']}']")
    console.find("#placement-id").send_keys(placement_id)
    console.rendered(lambda: console.find("#placement-id").send_keys(Keys.ENTER), "the placement")
    assert "FULFILLED" in console.text("[data-field=placement-status]")
    assert placed["GameSessionArn"] in console.text("main")
    console.find("#placement-id").clear()
    console.find("#placement-id").send_keys("place-unknown")
    console.rendered(lambda: console.find("#placement-id").send_keys(Keys.ENTER), "a refusal")
    assert "NotFoundException" in console.text("main .error")

    console.go("#/matchmaking")
    assert rules in console.text(f"tr[data-configuration='{config['Name']}']")
    console.find("#ticket-ids").send_keys(" ".join(tickets + ["ticket-unknown"]))
    console.rendered(lambda: console.find("#ticket-ids").send_keys(Keys.ENTER), "the tickets")
    for ticket in tickets:
        assert "COMPLETED" in console.text(f"tr[data-ticket-id='{ticket}']")
    assert "Not found" in console.text("main") and "ticket-unknown" in console.text("main")
    console.shot("matchmaking")
    # The matched game session, reached from its ticket, shows the match.
    console.rendered(lambda: console.find(f"tr[data-ticket-id='{tickets[0]}'] a").click(),
                     "the matched game session")
    data = json.loads(console.text("[data-field=matchmaker-data]"))
    assert {p["playerId"] for team in data["teams"] for p in team["players"]} == {"ann", "ben"}

    # Counters: sampled every second, drawn once two samples are in.
    seat = client.create_player_session(
        GameSessionId=placed["GameSessionArn"], PlayerId="zed")["PlayerSession"]
    player, _ = connect_client(line_client, server, seat["PlayerSessionId"])
    console.go("#/counters")
    select(console, "#interval", "1000")
    player.send_line("hello")
    console.until(lambda: int(console.text("tr[data-counter=LoginsAccepted] td:last-child")) >= 1,
                  "the login counted")
    console.until(lambda: len(console.find_all(".chart polyline")) >= 6, "lines in the charts")
    charts = console.find_all("figure.chart")
    assert len(charts) == 9
    for chart in charts:
        label = console.find("svg", chart).get_attribute("aria-label")
        assert label and "over" in label, label
    console.shot("counters")
    assert console.problems() == []


# ---- Access ------------------------------------------------------------------------------


def test_a_wrong_access_key_is_refused_with_a_clear_error(server, browser):
    console = Console(browser, server)
    console.open()
    browser.execute_script("sessionStorage.clear()")
    console.open()
    assert console.find_all("#access-key-id"), "a signed server asks for a key"
    console.sign_in(secret="not-the-secret")
    console.until(lambda: "InvalidSignatureException" in console.text(".sign-in-error"),
                  "the refusal")
    refusal = console.text(".sign-in-error")
    assert "The secret does not match this access key ID" in refusal, refusal
    console.shot("sign-in-refused")
    console.sign_in(key_id="AKIDNOBODY")
    console.until(lambda: "UnrecognizedClientException" in console.text(".sign-in-error"),
                  "the refusal")
    assert "no access key with this ID" in console.text(".sign-in-error")
    assert browser.execute_script("return sessionStorage.length") == 0, "a refused key is not kept"
    assert console.find("#nav").get_attribute("hidden") is not None

    # The right key: kept in this tab's session storage only, never in a cookie, in local
    # storage or in the URL; the server never saw the secret.
    console.rendered(lambda: console.sign_in(), "the first view")
    assert ACCESS_KEY in console.text("#account")
    assert browser.execute_script("return localStorage.length") == 0
    assert browser.execute_script("return document.cookie") == ""
    assert SECRET not in browser.current_url
    assert SECRET not in server.log()
    # A reload keeps the key for the tab; signing out forgets it.
    console.open()
    assert not console.find_all("#access-key-id")
    console.button("Sign out").click()
    console.until(lambda: console.find_all("#access-key-id"), "the sign-in form")
    assert browser.execute_script("return sessionStorage.length") == 0


def test_dev_mode_needs_no_key(server_factory, browser, line_client):
    server = server_factory(args=["--dev"])
    console = Console(browser, server)
    console.open()
    assert not console.find_all("#access-key-id")
    assert "Unsigned" in console.text("#account")
    connect_client(line_client, server, "match1/alice")
    client = make_client(server)
    made = game(client, "dev-game", "duel", 4)
    seat = client.create_player_session(
        GameSessionId=made["GameSessionId"], PlayerId="bob")["PlayerSession"]
    connect_client(line_client, server, seat["PlayerSessionId"])
    console.rendered(lambda: console.button("Refresh").click(), "the fleet")
    assert console.stat("players-connected") == "2"
    assert console.stat("game-sessions") == "1"
    console.go("#/sessions")
    assert console.session_rows() == [made["GameSessionId"]]
    console.shot("dev-mode")


# ---- Accessibility -----------------------------------------------------------------------


INTERACTIVE = ("a[href], button, input, select, textarea, summary, "
               "[tabindex]:not([tabindex='-1']), [role=img]")


def unnamed(console, within=None):
    """The visible controls (and images) without an accessible name."""
    return [element.get_attribute("outerHTML")[:120]
            for element in console.find_all(INTERACTIVE, within)
            if element.is_displayed() and not (element.accessible_name or "").strip()]


def focused(console):
    """What has focus: (tag, accessible name, whether a focus ring is drawn)."""
    return console.browser.execute_script(
        "const e = document.activeElement; const style = getComputedStyle(e);"
        "return [e.tagName.toLowerCase(),"
        " (e.getAttribute('aria-label') || e.textContent || e.id || '').trim(),"
        " style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2];")


def tab(console, times=1, shift=False):
    chain = ActionChains(console.browser)
    for _ in range(times):
        if shift:
            chain.key_down(Keys.SHIFT).send_keys(Keys.TAB).key_up(Keys.SHIFT)
        else:
            chain.send_keys(Keys.TAB)
    chain.perform()
    return focused(console)


def tab_to(console, name, limit=80):
    """Tabs until the control named `name` has focus; every stop on the way shows focus."""
    for _ in range(limit):
        tag, label, ring = tab(console)
        assert ring, f"no visible focus on {tag} {label!r}"
        if label == name:
            return tag
    raise AssertionError(f"{name!r} not reached by the keyboard in {limit} tabs")


def test_every_control_is_named_and_the_keyboard_reaches_and_works_them(
        scripted, browser, line_client):
    server = scripted
    client = make_client(server)
    duel = game(client, "duel", "duel", 2)
    client.create_script(Name="named", ZipFile=hello_zip())
    console = Console(browser, server)
    console.open()
    assert unnamed(console) == [], "the sign-in form"
    console.rendered(lambda: console.sign_in(), "the fleet")
    assert unnamed(console) == [], "#/fleet"
    for fragment in ["#/counters", "#/sessions", f"#/session/{quote(duel['GameSessionId'])}",
                     "#/scripts", "#/aliases", "#/queues", "#/matchmaking", "#/fleet"]:
        console.go(fragment)
        assert unnamed(console) == [], fragment
        # After navigating, the new view's heading has focus, for screen readers.
        assert console.browser.switch_to.active_element.tag_name == "h1", fragment

    # From the top of a freshly loaded page, Tab walks the header and the navigation; Enter
    # follows a link.
    console.open()
    for name in ["Volley console", "Sign out", "Fleet", "Counters", "Game sessions"]:
        assert tab_to(console, name) in ("a", "button")
    console.rendered(lambda: ActionChains(browser).send_keys(Keys.ENTER).perform(),
                     "the game sessions")
    assert browser.title.startswith("Game sessions")

    # The search form by keyboard: type a filter, Enter searches.
    tab_to(console, "filter")
    ActionChains(browser).send_keys("gameSessionName = 'none'").perform()
    console.rendered(lambda: ActionChains(browser).send_keys(Keys.ENTER).perform(), "results")
    assert console.session_rows() == []
    assert "filter=" in browser.current_url

    # A dialog opens with Space, keeps focus inside, and Escape closes it, giving focus back.
    console.go(f"#/session/{quote(duel['GameSessionId'])}")
    tab_to(console, "Terminate…")
    ActionChains(browser).send_keys(Keys.SPACE).perform()
    # The page behind a modal dialog is inert: only the dialog's controls are there.
    assert unnamed(console, console.dialog()) == [], "the dialog"
    inside = browser.execute_script(
        "return document.querySelector('dialog[open]').contains(document.activeElement)")
    assert inside
    # Tab goes through the dialog's controls and never to the inert page behind it (past the
    # last control, Chromium gives focus to its own window, outside the document).
    reached = set()
    for _ in range(6):
        tag, label, _ = tab(console)
        where = browser.execute_script(
            "const e = document.activeElement;"
            "return document.querySelector('dialog[open]').contains(e) ? 'dialog'"
            " : e === document.body ? 'outside' : e.outerHTML.slice(0, 80);")
        assert where in ("dialog", "outside"), f"focus went to the page behind: {where}"
        if where == "dialog":
            reached.add(label if tag == "button" else tag)
    assert {"Cancel", "Terminate", "input"} <= reached, reached
    ActionChains(browser).send_keys(Keys.ESCAPE).perform()
    console.until(lambda: not console.find_all("dialog"), "the dialog to close")
    assert focused(console)[1] == "Terminate…"
    assert describe_game(client, duel["GameSessionId"])["Status"] == "ACTIVE"


# ---- Files, headers, weight --------------------------------------------------------------


def get(server, path, headers=None, method="GET"):
    connection = http.client.HTTPConnection(*server.control, timeout=10)
    try:
        connection.request(method, path, headers=headers or {})
        response = connection.getresponse()
        return response.status, (response.headers, response.read())
    finally:
        connection.close()


EMBEDDED = {
    "index.html": "text/html; charset=utf-8",
    "console.js": "text/javascript; charset=utf-8",
    "console.css": "text/css; charset=utf-8",
    "icon.svg": "image/svg+xml",
    "licenses.txt": "text/plain; charset=utf-8",
}


def test_the_console_is_served_from_the_binary_with_its_headers(server):
    # Every file of the build is embedded, byte for byte, and nothing else.
    assert sorted(p.name for p in DIST.iterdir()) == sorted(EMBEDDED)
    for name, content_type in EMBEDDED.items():
        status, (headers, body) = get(server, f"/console/{name}")
        assert status == 200, name
        assert body == (DIST / name).read_bytes(), f"{name} is not the built file"
        assert headers["Content-Type"] == content_type
        assert headers["Cache-Control"] == "no-cache"
        assert headers["X-Content-Type-Options"] == "nosniff"
        policy = headers["Content-Security-Policy"]
        assert "default-src 'none'" in policy and "script-src 'self'" in policy
        assert "connect-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert "unsafe" not in policy
        # Unchanged since the browser's copy: 304, no body.
        status, (_, again) = get(server, f"/console/{name}", {"If-None-Match": headers["ETag"]})
        assert status == 304 and again == b""

    status, (headers, body) = get(server, "/console/")
    assert status == 200 and body == (DIST / "index.html").read_bytes()
    status, (headers, _) = get(server, "/console")
    assert status == 308 and headers["Location"] == "console/"
    for missing in ["/console/nothing.js", "/console/dist/console.js", "/console/..%2Fconsole.js"]:
        status, (headers, _) = get(server, missing)
        assert status == 404, missing
        assert "default-src 'none'" in headers["Content-Security-Policy"]
    status, (_, body) = get(server, "/console/console.js", method="HEAD")
    assert status == 200 and body == b""

    # The files need no key, but the API behind them does: POST on these paths is the API.
    response = call(server, {"Limit": 1}, target="Volley.DescribeServer", path="/console/")
    assert response.status == 200
    status, (_, body) = get(server, "/console/", method="POST")
    assert status in (400, 405) and b"MissingAuthenticationTokenException" in body


def test_the_page_weighs_under_its_budget_and_loads_only_its_own_files(server, browser):
    compressed = sum(len(gzip.compress((DIST / name).read_bytes(), 9)) for name in EMBEDDED)
    assert compressed < WEIGHT_BUDGET, f"{compressed} bytes gzip-compressed"
    console = Console(browser, server)
    console.signed_in()
    loaded = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)")
    own = f"{server.control_url}/"
    assert all(url.startswith(own) for url in loaded), loaded
    files = {url[len(own):] for url in loaded if "/console/" in url}
    assert files <= {f"console/{name}" for name in EMBEDDED}, files
    assert console.problems() == []
    # Recorded for the report in CI logs.
    print(f"console weight: {compressed} bytes gzip-compressed, "
          f"{sum((DIST / n).stat().st_size for n in EMBEDDED)} bytes as served")
