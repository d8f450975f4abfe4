// One game session: its record (status, times, script, properties, matchmaker data), its
// players and their player sessions, and the actions on it: terminate, and whether new
// player sessions are accepted.

import { fields, h, table } from "../dom.js";
import { count, prettyJson, shortId, time } from "../format.js";
import { announce, badge, button, confirmDialog, heading, statusTone } from "../ui.js";

// Most player sessions listed: 10 pages of 50.
const PLAYER_PAGES = 10;

export async function render({ api, argument, rerender }) {
  const id = argument;
  // Raw, for the members outside the GameLift model (ScriptId, ScriptVersion,
  // ScriptRevision) that the SDK would drop.
  const [details, players] = await Promise.all([
    api.call("GameLift.DescribeGameSessionDetails", { GameSessionId: id }),
    api.all("DescribePlayerSessions", { GameSessionId: id, Limit: 50 }, "PlayerSessions", PLAYER_PAGES),
  ]);
  const detail = details.GameSessionDetails?.[0];
  const game = detail?.GameSession ?? {};
  const connected = players.items.filter((p) => p.Status === "ACTIVE").length;
  const running = game.Status === "ACTIVE" || game.Status === "ACTIVATING";
  const accepting = game.PlayerSessionCreationPolicy !== "DENY_ALL";
  return [
    heading(
      `Game session ${game.Name || shortId(game.GameSessionId)}`,
      button("Refresh", rerender, { class: "refresh" }),
    ),
    h("p", null, h("a", { href: "#/sessions" }, "All game sessions")),
    running
      ? h(
          "div",
          { class: "actions", role: "group", "aria-label": "Actions on this game session" },
          button("Terminate…", () => terminate(api, game, rerender), { class: "danger" }),
          button(
            accepting ? "Deny new player sessions…" : "Accept new player sessions…",
            () => setPolicy(api, game, accepting ? "DENY_ALL" : "ACCEPT_ALL", rerender),
          ),
        )
      : null,
    h(
      "section",
      { "aria-labelledby": "record" },
      h("h2", { id: "record" }, "Record"),
      fields([
        ["Status", h("span", { "data-field": "status" }, badge(game.Status, statusTone(game.Status)), game.StatusReason ? ` (${game.StatusReason})` : "")],
        ["Name", game.Name],
        ["Game session ID", h("code", { "data-field": "id" }, game.GameSessionId)],
        [
          "Player sessions",
          h("span", { "data-field": "players" }, `${count(game.CurrentPlayerSessionCount)} of ${count(game.MaximumPlayerSessionCount)}`),
        ],
        ["Players connected", h("span", { "data-field": "connected" }, count(connected))],
        ["New player sessions", h("span", { "data-field": "policy" }, game.PlayerSessionCreationPolicy)],
        ["Protection", detail?.ProtectionPolicy],
        ["Script", h("span", { "data-field": "script" }, script(game))],
        ["Created", h("span", { "data-field": "created" }, time(game.CreationTime))],
        ["Ended", game.TerminationTime ? h("span", { "data-field": "ended" }, time(game.TerminationTime)) : null],
        ["Location", game.Location],
        ["Clients connect to", `${game.DnsName ?? game.IpAddress}:${game.Port} (${game.IpAddress})`],
        ["Fleet", game.FleetId],
        ["Creator", game.CreatorId],
      ]),
    ),
    h(
      "section",
      { "aria-labelledby": "properties" },
      h("h2", { id: "properties" }, "Game properties"),
      table(
        "Game properties",
        ["Key", "Value"],
        (game.GameProperties ?? []).map((p) => [h("code", null, p.Key), p.Value]),
        "No game properties.",
      ),
      game.GameSessionData
        ? [h("h3", null, "Game session data"), h("pre", { class: "data" }, game.GameSessionData)]
        : null,
    ),
    h(
      "section",
      { "aria-labelledby": "matchmaker" },
      h("h2", { id: "matchmaker" }, "Matchmaker data"),
      game.MatchmakerData
        ? h("pre", { class: "data", "data-field": "matchmaker-data" }, prettyJson(game.MatchmakerData))
        : h("p", null, "None: FlexMatch did not make this game session."),
    ),
    h(
      "section",
      { "aria-labelledby": "players" },
      h("h2", { id: "players" }, "Players"),
      players.complete ? null : h("p", null, `The first ${players.items.length} player sessions.`),
      table(
        "Player sessions",
        ["Player", "Player session", "Status", "Created", "Ended", "Player data"],
        players.items.map((p) => ({
          attributes: { "data-player-session-id": p.PlayerSessionId },
          cells: [
            p.PlayerId,
            h("code", null, p.PlayerSessionId),
            badge(p.Status, statusTone(p.Status)),
            time(p.CreationTime),
            time(p.TerminationTime),
            p.PlayerData ?? "",
          ],
        })),
        "No player sessions.",
      ),
    ),
  ];
}

function script(game) {
  if (!game.ScriptId) {
    return "none: a pure relay";
  }
  const version = game.ScriptVersion ? ` version ${game.ScriptVersion}` : "";
  const revision = game.ScriptRevision !== undefined ? `, revision ${game.ScriptRevision}` : "";
  return `${game.ScriptId}${version}${revision}`;
}

function terminate(api, game, rerender) {
  const name = game.Name || shortId(game.GameSessionId);
  const force = h("input", { type: "radio", name: "mode", id: "mode-force", value: "FORCE_TERMINATE" });
  const trigger = h("input", {
    type: "radio",
    name: "mode",
    id: "mode-trigger",
    value: "TRIGGER_ON_PROCESS_TERMINATE",
    checked: true,
  });
  const content = h(
    "fieldset",
    { class: "choices" },
    h("legend", null, "How it ends"),
    h(
      "div",
      { class: "choice" },
      trigger,
      h(
        "label",
        { for: "mode-trigger" },
        h("strong", null, "Let the script end it"),
        " (TRIGGER_ON_PROCESS_TERMINATE): onProcessTerminate runs and the script calls processEnding(); after scripts.terminate_grace_secs it is ended anyway. Without a script it ends at once.",
      ),
    ),
    h(
      "div",
      { class: "choice" },
      force,
      h(
        "label",
        { for: "mode-force" },
        h("strong", null, "End it now"),
        " (FORCE_TERMINATE): onProcessTerminate runs, then every player is closed (1001, session_ended) and their player sessions complete.",
      ),
    ),
  );
  return confirmDialog({
    title: `Terminate game session ${name}?`,
    description: h("p", null, `Its ${count(game.CurrentPlayerSessionCount)} player sessions end with it. This cannot be undone.`),
    content,
    confirmLabel: "Terminate",
    danger: true,
    action: () =>
      api.gamelift("TerminateGameSession", {
        GameSessionId: game.GameSessionId,
        TerminationMode: force.checked ? "FORCE_TERMINATE" : "TRIGGER_ON_PROCESS_TERMINATE",
      }),
  }).then((answer) => {
    if (answer) {
      announce(`Game session ${name} is ${answer.GameSession?.Status ?? "terminating"}.`);
      rerender();
    }
  });
}

function setPolicy(api, game, policy, rerender) {
  const name = game.Name || shortId(game.GameSessionId);
  const deny = policy === "DENY_ALL";
  return confirmDialog({
    title: deny ? `Deny new player sessions in ${name}?` : `Accept new player sessions in ${name}?`,
    description: h(
      "p",
      null,
      deny
        ? "UpdateGameSession sets the player session creation policy to DENY_ALL: CreatePlayerSession is refused, however many slots are free. Players reserved or connected stay."
        : "UpdateGameSession sets the player session creation policy to ACCEPT_ALL: player sessions can be reserved again while slots are free.",
    ),
    confirmLabel: deny ? "Deny new player sessions" : "Accept new player sessions",
    danger: deny,
    action: () =>
      api.gamelift("UpdateGameSession", { GameSessionId: game.GameSessionId, PlayerSessionCreationPolicy: policy }),
  }).then((answer) => {
    if (answer) {
      announce(`Game session ${name} now ${deny ? "denies" : "accepts"} new player sessions.`);
      rerender();
    }
  });
}
