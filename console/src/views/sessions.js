// Game sessions: SearchGameSessions over the active ones, with its filter and sort
// expressions, or DescribeGameSessions by status; a page at a time. The form's values live
// in the URL's fragment, so a search can be reloaded, bookmarked and gone back to.

import { field, h, replace, select, table } from "../dom.js";
import { count, shortId, time } from "../format.js";
import { badge, button, errorBox, heading, statusTone } from "../ui.js";

const STATUSES = [
  ["ACTIVE", "Active (searched)"],
  ["ALL", "Any status"],
  ["ACTIVATING", "Activating"],
  ["TERMINATING", "Terminating"],
  ["TERMINATED", "Terminated"],
  ["ERROR", "Error"],
];

const SORT_OPERANDS = [
  ["", "Creation order"],
  ["creationTimeMillis", "Creation time"],
  ["playerSessionCount", "Player sessions"],
  ["maximumSessions", "Maximum players"],
  ["gameSessionName", "Name"],
  ["hasAvailablePlayerSessions", "Has free player slots"],
];

// SearchGameSessions takes at most 20 a page.
const PAGE_SIZES = [
  ["5", "5"],
  ["10", "10"],
  ["20", "20"],
];

export async function render(context) {
  const { api, params, poller } = context;
  const query = {
    status: params.get("status") || "ACTIVE",
    location: params.get("location") || "",
    filter: params.get("filter") || "",
    free: params.get("free") === "1",
    sort: params.get("sort") || "",
    order: params.get("order") === "ASC" ? "ASC" : "DESC",
    limit: PAGE_SIZES.some(([size]) => size === params.get("limit")) ? Number(params.get("limit")) : 20,
  };
  const fleetId = poller.last?.Server?.FleetId;
  const locations = poller.last?.Fleet?.Locations ?? [];
  const searching = query.status === "ACTIVE";

  const status = select(STATUSES, query.status, { id: "status", name: "status" });
  const location = select(
    [["", "All locations"], ...locations.map((name) => [name, name])],
    query.location,
    { id: "location", name: "location" },
  );
  const filter = h("input", {
    id: "filter",
    name: "filter",
    value: query.filter,
    spellcheck: "false",
    autocomplete: "off",
    placeholder: "gameSessionProperties.mode = 'duel' AND playerSessionCount < 4",
  });
  const free = h("input", { id: "free", name: "free", type: "checkbox", checked: query.free });
  const sort = select(SORT_OPERANDS, query.sort, { id: "sort", name: "sort" });
  const order = select(
    [
      ["DESC", "Descending"],
      ["ASC", "Ascending"],
    ],
    query.order,
    { id: "order", name: "order" },
  );
  const limit = select(PAGE_SIZES, String(query.limit), { id: "limit", name: "limit" });
  const searchOnly = [filter, free, sort, order];
  const setSearchOnly = () => {
    for (const control of searchOnly) {
      control.disabled = status.value !== "ACTIVE";
    }
  };
  status.addEventListener("change", setSearchOnly);
  setSearchOnly();

  const form = h(
    "form",
    { class: "search", "aria-label": "Find game sessions" },
    h(
      "div",
      { class: "row" },
      field("Status", status),
      field("Location", location),
      field("Page size", limit),
    ),
    field(
      "Filter expression",
      filter,
      "SearchGameSessions' FilterExpression: operands, comparators =, <>, <, >, <=, >=, and AND, OR, NOT, parentheses. Active game sessions only.",
    ),
    h("div", { class: "field check" }, free, h("label", { for: "free" }, "Only game sessions with free player slots")),
    h("div", { class: "row" }, field("Sort by", sort), field("Order", order)),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Search")),
    help(),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    next.set("status", status.value);
    if (location.value) next.set("location", location.value);
    if (status.value === "ACTIVE") {
      if (filter.value.trim()) next.set("filter", filter.value.trim());
      if (free.checked) next.set("free", "1");
      if (sort.value) {
        next.set("sort", sort.value);
        next.set("order", order.value);
      }
    }
    next.set("limit", limit.value);
    const hash = `#/sessions?${next}`;
    if (window.location.hash === hash) {
      context.rerender();
    } else {
      window.location.hash = hash;
    }
  });

  const results = h("div", { class: "results" });
  const pages = { tokens: [undefined], index: 0 };

  const request = (token) => {
    const input = { FleetId: fleetId, Limit: query.limit, NextToken: token };
    if (query.location) input.Location = query.location;
    if (searching) {
      const conditions = [];
      if (query.filter) conditions.push(`(${query.filter})`);
      if (query.free) conditions.push("hasAvailablePlayerSessions = true");
      if (conditions.length) input.FilterExpression = conditions.join(" AND ");
      if (query.sort) input.SortExpression = `${query.sort} ${query.order}`;
      return api.gamelift("SearchGameSessions", input);
    }
    if (query.status !== "ALL") input.StatusFilter = query.status;
    return api.gamelift("DescribeGameSessions", input);
  };

  const load = async (focusPager) => {
    let answer;
    try {
      answer = await request(pages.tokens[pages.index]);
    } catch (error) {
      replace(results, errorBox(error, searching ? "The search was refused." : "The game sessions could not be read."));
      return;
    }
    if (!context.current()) {
      return;
    }
    const found = answer.GameSessions ?? [];
    const nextToken = answer.NextToken;
    const previous = button("Previous page", () => {
      pages.index -= 1;
      load("previous");
    }, { disabled: pages.index === 0 });
    const next = button("Next page", () => {
      pages.tokens[pages.index + 1] = nextToken;
      pages.index += 1;
      load("next");
    }, { disabled: !nextToken });
    replace(
      results,
      h(
        "p",
        { class: "result-count", role: "status", "data-count": found.length },
        `Page ${pages.index + 1}: ${count(found.length)} game session${found.length === 1 ? "" : "s"}${nextToken ? ", more on the next page" : ""}.`,
      ),
      table(
        "Game sessions",
        ["Name", "Game session", "Status", "Player sessions", "New players", "Location", "Clients connect to", "Created"],
        found.map((g) => ({
          attributes: { "data-game-session-id": g.GameSessionId },
          cells: [
            h("a", { href: `#/session/${encodeURIComponent(g.GameSessionId)}` }, g.Name || shortId(g.GameSessionId)),
            h("code", { title: g.GameSessionId }, shortId(g.GameSessionId)),
            badge(g.Status, statusTone(g.Status)),
            `${count(g.CurrentPlayerSessionCount)} of ${count(g.MaximumPlayerSessionCount)}`,
            g.PlayerSessionCreationPolicy === "DENY_ALL" ? "denied" : "accepted",
            g.Location ?? "",
            `${g.DnsName ?? g.IpAddress}:${g.Port}`,
            time(g.CreationTime),
          ],
        })),
        searching ? "No active game session matches." : "No game session.",
      ),
      h("nav", { class: "pager", "aria-label": "Pages of game sessions" }, previous, next),
    );
    if (focusPager) {
      // Keep the keyboard where it was, or on the other button once this one is disabled.
      const target = focusPager === "next" ? (next.disabled ? previous : next) : previous.disabled ? next : previous;
      target.focus();
    }
  };
  await load(null);
  return [heading("Game sessions"), form, results];
}

function help() {
  const operands = [
    ["gameSessionName", "string", "the name"],
    ["gameSessionId", "string", "the ARN"],
    ["gameSessionProperties.<key>", "string", "a game property's value"],
    ["maximumSessions", "number", "the maximum player sessions"],
    ["playerSessionCount", "number", "player sessions reserved or connected"],
    ["creationTimeMillis", "number", "creation time, ms since the epoch"],
    ["hasAvailablePlayerSessions", "boolean", "whether a player slot is free"],
  ];
  return h(
    "details",
    { class: "help" },
    h("summary", null, "Filter expression syntax"),
    h("p", null, "Strings in quotes ('duel'), numbers as written, booleans true and false. Strings and booleans take = and <> only."),
    table(
      "Operands",
      ["Operand", "Type", "Value"],
      operands.map(([name, type, value]) => [h("code", null, name), type, value]),
    ),
    h(
      "p",
      null,
      "Example: ",
      h("code", null, "hasAvailablePlayerSessions = true AND (gameSessionProperties.mode = 'duel' OR maximumSessions >= 8)"),
    ),
  );
}
