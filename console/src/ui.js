// Pieces every view uses: headings, errors, notices, buttons and the confirmation dialog.

import { ApiError } from "./api.js";
import { h, replace, uid } from "./dom.js";

// A view's heading, focusable from script so that navigation can move focus to it.
export function heading(text, ...after) {
  return h("div", { class: "view-head" }, h("h1", { tabindex: "-1" }, text), after);
}

// An error as the operator should read it: the API's error code, then its message.
export function errorText(error) {
  if (error instanceof ApiError) {
    return `${error.code}: ${error.message}`;
  }
  return `Error: ${error?.message ?? error}`;
}

// An alert box naming the error; `what` says what was being done.
export function errorBox(error, what) {
  return h(
    "div",
    { class: "error", role: "alert" },
    what ? h("p", { class: "error-what" }, what) : null,
    h("p", { class: "error-code" }, errorText(error)),
  );
}

// A button that runs `action` on click (Enter and Space included, as buttons do).
export function button(text, action, attributes = {}) {
  return h("button", { type: "button", ...attributes, onclick: action }, text);
}

// A live region message, read out by screen readers and shown under the header.
export function announce(text, kind = "info") {
  const region = document.getElementById("notice");
  if (!region) {
    return;
  }
  replace(region, text ? h("p", { class: `notice notice-${kind}` }, text) : null);
}

// Asks for confirmation in a modal dialog, then runs `action` (async). An error it throws is
// shown in the dialog, which stays open; success closes it. Resolves with the action's
// result, or null when the operator cancels (the Cancel button or Escape).
export function confirmDialog({ title, description, content = null, confirmLabel, danger, action }) {
  return new Promise((resolve) => {
    const opener = document.activeElement;
    const titleId = uid("dialog-title");
    const descriptionId = uid("dialog-description");
    const errorArea = h("div", { class: "dialog-error", role: "alert" });
    const confirm = h("button", { type: "submit", class: danger ? "danger" : "primary" }, confirmLabel);
    const cancel = h("button", { type: "button" }, "Cancel");
    let busy = false;
    let finished = false;
    const form = h(
      "form",
      { novalidate: true },
      h("h2", { id: titleId }, title),
      h("div", { id: descriptionId, class: "dialog-description" }, description),
      content,
      errorArea,
      h("div", { class: "dialog-actions" }, cancel, confirm),
    );
    const dialog = h(
      "dialog",
      { "aria-labelledby": titleId, "aria-describedby": descriptionId },
      form,
    );
    const close = (result) => {
      if (finished) {
        return;
      }
      finished = true;
      dialog.close();
      dialog.remove();
      if (opener instanceof HTMLElement && opener.isConnected) {
        opener.focus();
      }
      resolve(result);
    };
    cancel.addEventListener("click", () => {
      if (!busy) {
        close(null);
      }
    });
    dialog.addEventListener("cancel", (event) => {
      event.preventDefault();
      if (!busy) {
        close(null);
      }
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (busy) {
        return;
      }
      busy = true;
      confirm.disabled = true;
      replace(errorArea);
      try {
        const result = await action();
        close(result ?? true);
      } catch (error) {
        replace(errorArea, errorBox(error));
        confirm.disabled = false;
        busy = false;
      }
    });
    document.body.append(dialog);
    dialog.showModal();
    // A destructive action starts on Cancel, so that no stray Enter confirms it; another
    // starts on its first field.
    const first = !danger && content && content.querySelector("input, select, textarea");
    (first || cancel).focus();
  });
}

// A status shown as text plus a class for its colour, never colour alone.
export function badge(text, tone) {
  return h("span", { class: `badge badge-${tone}` }, text);
}

// The tone of a game session, player session, placement or ticket status.
export function statusTone(status) {
  switch (status) {
    case "ACTIVE":
    case "FULFILLED":
    case "COMPLETED":
      return "good";
    case "ACTIVATING":
    case "RESERVED":
    case "PENDING":
    case "QUEUED":
    case "SEARCHING":
    case "PLACING":
    case "REQUIRES_ACCEPTANCE":
    case "TERMINATING":
      return "busy";
    case "ERROR":
    case "FAILED":
    case "TIMEDOUT":
    case "TIMED_OUT":
      return "bad";
    default:
      return "idle";
  }
}
