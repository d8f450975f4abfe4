// The console's start: find out whether the control API needs a signature, ask for an
// access key if it does, then show the view the URL's fragment names (#/fleet,
// #/sessions?..., #/session/<id>, ...) and keep the header's server line current.

import { Api, ApiError, DEFAULT_REGION } from "./api.js";
import { h, replace } from "./dom.js";
import { duration } from "./format.js";
import { Poller } from "./poller.js";
import { announce, button, errorBox, heading } from "./ui.js";
import * as counters from "./views/counters.js";
import * as fleet from "./views/fleet.js";
import * as matchmaking from "./views/matchmaking.js";
import * as queues from "./views/queues.js";
import * as aliases from "./views/aliases.js";
import * as scripts from "./views/scripts.js";
import * as session from "./views/session.js";
import * as sessions from "./views/sessions.js";

// The key entered, for this tab only: sessionStorage is cleared when the tab closes and is
// never sent anywhere.
const KEY_STORAGE = "volley-console-key";

// The views by the first part of the fragment, in the navigation's order.
const VIEWS = {
  fleet: { title: "Fleet", module: fleet },
  counters: { title: "Counters", module: counters },
  sessions: { title: "Game sessions", module: sessions },
  session: { title: "Game session", module: session, hidden: true, parent: "sessions" },
  scripts: { title: "Scripts", module: scripts },
  aliases: { title: "Aliases", module: aliases },
  queues: { title: "Queues and placements", module: queues },
  matchmaking: { title: "Matchmaking", module: matchmaking },
};

// Refusals that mean the key (or its absence) is the problem, not the request.
const AUTH_ERRORS = new Set([
  "MissingAuthenticationTokenException",
  "IncompleteSignatureException",
  "UnrecognizedClientException",
  "InvalidSignatureException",
]);

const state = {
  api: null,
  poller: null,
  // Undoes what the current view set up (live updates), before the next one renders.
  cleanup: null,
  // Each render's number: an answer for an earlier view is dropped.
  renders: 0,
};

const main = () => document.getElementById("main");

window.addEventListener("hashchange", () => {
  if (state.api) {
    render(true);
  }
});

start();

// Connects: with the stored key, else unsigned; asks for a key when the server wants one.
async function start() {
  const stored = storedKey();
  const api = new Api(stored, stored?.region);
  try {
    const server = await api.call("Volley.DescribeServer", { Limit: 1 });
    open(api, server);
  } catch (error) {
    if (AUTH_ERRORS.has(error.code)) {
      if (stored) {
        sessionStorage.removeItem(KEY_STORAGE);
      }
      signIn(stored ? error : null);
    } else {
      unreachable(error);
    }
  }
}

function storedKey() {
  try {
    const key = JSON.parse(sessionStorage.getItem(KEY_STORAGE) || "null");
    return key && key.accessKeyId && key.secretAccessKey ? key : null;
  } catch {
    return null;
  }
}

// The sign-in form: an access key id, its secret and a region name. The key is checked with
// one signed Volley.DescribeServer before it is kept.
function signIn(previousError) {
  setChrome(null);
  const errorArea = h("div", { class: "sign-in-error" });
  const keyId = h("input", {
    id: "access-key-id",
    name: "access-key-id",
    autocomplete: "off",
    spellcheck: "false",
    required: true,
  });
  const secret = h("input", {
    id: "secret-access-key",
    name: "secret-access-key",
    type: "password",
    autocomplete: "off",
    required: true,
  });
  const region = h("input", { id: "region", name: "region", value: DEFAULT_REGION, spellcheck: "false" });
  const submit = h("button", { type: "submit", class: "primary" }, "Sign in");
  const form = h(
    "form",
    { class: "sign-in", "aria-labelledby": "sign-in-title" },
    h("div", { class: "field" }, h("label", { for: "access-key-id" }, "Access key ID"), keyId),
    h("div", { class: "field" }, h("label", { for: "secret-access-key" }, "Secret access key"), secret),
    h(
      "div",
      { class: "field" },
      h("label", { for: "region" }, "Region"),
      region,
      h("p", { class: "hint", id: "region-hint" }, "Any region name: Volley accepts them all."),
    ),
    errorArea,
    submit,
  );
  region.setAttribute("aria-describedby", "region-hint");
  if (previousError) {
    replace(errorArea, refusal(previousError));
  }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const key = {
      accessKeyId: keyId.value.trim(),
      secretAccessKey: secret.value,
      region: region.value.trim() || DEFAULT_REGION,
    };
    if (!key.accessKeyId || !key.secretAccessKey) {
      replace(errorArea, errorBox(new ApiError("MissingKey", "enter an access key ID and its secret", 0)));
      (key.accessKeyId ? secret : keyId).focus();
      return;
    }
    submit.disabled = true;
    replace(errorArea, h("p", { class: "loading" }, "Checking the key…"));
    const api = new Api(key, key.region);
    try {
      const server = await api.call("Volley.DescribeServer", { Limit: 1 });
      sessionStorage.setItem(KEY_STORAGE, JSON.stringify(key));
      open(api, server);
    } catch (error) {
      submit.disabled = false;
      replace(errorArea, refusal(error));
      secret.focus();
    }
  });
  replace(
    main(),
    h("h1", { id: "sign-in-title", tabindex: "-1" }, "Sign in"),
    h(
      "p",
      null,
      "This server's control API takes requests signed with one of its access keys ",
      "(control.access_keys, or VOLLEY_ACCESS_KEY_ID and VOLLEY_SECRET_ACCESS_KEY). ",
      "The key stays in this browser tab, which forgets it when closed: the console signs ",
      "each request with it (AWS Signature Version 4) and never sends it.",
    ),
    form,
  );
  keyId.focus();
}

// Why a key was refused, in the operator's terms, with the server's own error below.
function refusal(error) {
  const reasons = {
    UnrecognizedClientException: "The server has no access key with this ID.",
    InvalidSignatureException:
      "The secret does not match this access key ID (or this computer's clock is far off the server's).",
    IncompleteSignatureException: "The request's signature was incomplete.",
    MissingAuthenticationTokenException: "The server wants signed requests.",
  };
  return errorBox(error, reasons[error.code] || "The key could not be checked.");
}

function unreachable(error) {
  setChrome(null);
  replace(
    main(),
    heading("The control API did not answer"),
    errorBox(error),
    button("Try again", () => start(), { class: "primary" }),
  );
  main().querySelector("h1").focus();
}

// Signed in (or unsigned and allowed): the navigation, the header and the first view.
function open(api, server) {
  state.api = api;
  state.poller?.stop();
  state.poller = new Poller(api);
  state.poller.subscribe(() => header());
  state.poller.start(server);
  setChrome(api);
  header();
  render(false);
}

function signOut() {
  sessionStorage.removeItem(KEY_STORAGE);
  state.poller?.stop();
  state.poller = null;
  state.api = null;
  state.cleanup?.();
  state.cleanup = null;
  announce("");
  start();
}

// The header's account line and the navigation, shown once connected.
function setChrome(api) {
  const nav = document.getElementById("nav");
  const account = document.getElementById("account");
  if (!api) {
    replace(nav);
    nav.hidden = true;
    replace(account);
    replace(document.getElementById("server"));
    return;
  }
  nav.hidden = false;
  replace(
    nav,
    h(
      "ul",
      null,
      Object.entries(VIEWS)
        .filter(([, view]) => !view.hidden)
        .map(([name, view]) => h("li", null, h("a", { href: `#/${name}`, "data-view": name }, view.title))),
    ),
  );
  replace(
    account,
    api.accessKeyId
      ? [h("span", { class: "key" }, "Signed with ", h("code", null, api.accessKeyId)), " "]
      : h("span", { class: "key" }, "Unsigned: this server takes requests without a key "),
    api.accessKeyId ? button("Sign out", signOut) : null,
  );
}

// The server line: version, host, readiness, the last poll's failure if any.
function header() {
  const poller = state.poller;
  const answer = poller?.last;
  const line = document.getElementById("server");
  if (!answer) {
    replace(line);
    return;
  }
  const server = answer.Server ?? {};
  const condition = server.Draining ? "draining" : server.Ready ? "ready" : "not ready";
  replace(
    line,
    h("span", null, `volley ${server.Version ?? ""}`),
    h("span", null, `fleet ${server.FleetId ?? ""}`),
    h("span", null, `host ${answer.Fleet?.HostId ?? ""}`),
    h("span", null, `up ${duration(server.UptimeSeconds)}`),
    h("span", { class: `condition condition-${condition.replace(" ", "-")}` }, condition),
    poller.error ? h("span", { class: "poll-error" }, `last update failed: ${poller.error}`) : null,
  );
}

function route() {
  const fragment = window.location.hash.replace(/^#\/?/, "");
  const [path, query = ""] = fragment.split("?");
  const [name, ...rest] = path.split("/");
  const view = VIEWS[name] ? name : "fleet";
  return {
    view,
    argument: rest.length ? decodeURIComponent(rest.join("/")) : "",
    params: new URLSearchParams(query),
  };
}

// Renders the view the fragment names; `navigated` moves focus to its heading.
async function render(navigated) {
  const number = ++state.renders;
  if (navigated) {
    // A notice is about the view it was given in.
    announce("");
  }
  state.cleanup?.();
  state.cleanup = null;
  const current = route();
  const view = VIEWS[current.view];
  for (const link of document.querySelectorAll("#nav a")) {
    const active = link.dataset.view === current.view || link.dataset.view === view.parent;
    if (active) {
      link.setAttribute("aria-current", "page");
    } else {
      link.removeAttribute("aria-current");
    }
  }
  document.title = `${view.title} · Volley console`;
  const area = main();
  area.setAttribute("aria-busy", "true");
  replace(area, heading(view.title), h("p", { class: "loading" }, "Loading…"));
  const context = {
    api: state.api,
    poller: state.poller,
    params: current.params,
    argument: current.argument,
    rerender: () => render(false),
    // Called when the view is left.
    onLeave: (undo) => {
      const previous = state.cleanup;
      state.cleanup = () => {
        previous?.();
        undo();
      };
    },
    // Whether this render is still the one on screen.
    current: () => number === state.renders,
  };
  let content;
  try {
    content = await view.module.render(context);
  } catch (error) {
    content = [heading(view.title), errorBox(error, `The ${view.title.toLowerCase()} could not be read.`)];
  }
  if (number !== state.renders) {
    return;
  }
  replace(area, content);
  area.removeAttribute("aria-busy");
  if (navigated) {
    area.querySelector("h1")?.focus();
  }
}
