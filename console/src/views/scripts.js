// Script resources: each with its current version, which versions running game sessions
// use, and an upload of a new version (UpdateScript with a zip).

import { field, h, table } from "../dom.js";
import { bytes, count, time } from "../format.js";
import { announce, button, confirmDialog, heading } from "../ui.js";

// UpdateScript's limit on a zip (control-api.md §2.5.1).
const MAX_ZIP_BYTES = 5000000;

export async function render({ api, rerender }) {
  const [listed, server, attributes] = await Promise.all([
    api.all("ListScripts", { Limit: 100 }, "Scripts"),
    api.call("Volley.DescribeServer", { Limit: 1000 }),
    api.gamelift("DescribeFleetAttributes", {}),
  ]);
  const fleetScript = attributes.FleetAttributes?.[0]?.ScriptId;
  // Which content the running game sessions use, by script: "1.2 r3" -> count.
  const running = new Map();
  for (const g of server.GameSessions ?? []) {
    if (!g.ScriptId) continue;
    const versions = running.get(g.ScriptId) ?? new Map();
    const key = `${g.ScriptVersion ?? "?"} (revision ${g.ScriptRevision ?? "?"})`;
    versions.set(key, (versions.get(key) ?? 0) + 1);
    running.set(g.ScriptId, versions);
  }
  const partial = (server.GameSessionCount ?? 0) > (server.GameSessions ?? []).length;
  return [
    heading("Scripts", button("Refresh", rerender, { class: "refresh" })),
    h(
      "p",
      null,
      "A game session runs the script content it started with; an upload changes what new game sessions run.",
      partial ? ` Versions in use count the first ${server.GameSessions.length} running game sessions.` : "",
    ),
    table(
      "Scripts",
      ["Name", "Version", "Script ID", "Size", "Node.js", "Created", "Running game sessions", "Upload"],
      listed.items.map((s) => ({
        attributes: { "data-script-id": s.ScriptId },
        cells: [
          h("span", null, s.Name ?? "", s.ScriptId === fleetScript ? h("span", { class: "tag" }, " (the fleet's script)") : null),
          h("span", { "data-field": "version" }, s.Version ?? ""),
          h("code", null, s.ScriptId),
          bytes(s.SizeOnDisk),
          s.NodeJsVersion ?? "",
          time(s.CreationTime),
          inUse(running.get(s.ScriptId)),
          button("Upload a new version…", () => upload(api, s, rerender), {
            "aria-label": `Upload a new version of ${s.Name || s.ScriptId}`,
          }),
        ],
      })),
      "No scripts. CreateScript stores one (aws gamelift create-script, or volley serve --script).",
    ),
  ];
}

function inUse(versions) {
  if (!versions) {
    return "none";
  }
  return [...versions.entries()].map(([version, n]) => `${count(n)} on ${version}`).join(", ");
}

function upload(api, script, rerender) {
  const file = h("input", { type: "file", id: "script-zip", accept: ".zip,application/zip", required: true });
  const version = h("input", { id: "script-version", placeholder: script.Version ?? "", autocomplete: "off" });
  const content = h(
    "div",
    null,
    field("Zip file", file, "index.js at the root (or in one top folder), at most 5,000,000 bytes."),
    field("New version", version, `Left empty, the version stays ${script.Version ?? "unset"}.`),
  );
  return confirmDialog({
    title: `Upload a new version of ${script.Name || script.ScriptId}?`,
    description: h(
      "p",
      null,
      "UpdateScript stores the zip as the script's new content. Game sessions created afterwards run it; running ones keep theirs.",
    ),
    content,
    confirmLabel: "Upload",
    action: async () => {
      const chosen = file.files?.[0];
      if (!chosen) {
        throw new Error("choose a zip file first");
      }
      if (chosen.size > MAX_ZIP_BYTES) {
        throw new Error(`${chosen.name} is ${count(chosen.size)} bytes; a script zip may have at most 5,000,000`);
      }
      const zip = new Uint8Array(await chosen.arrayBuffer());
      // Every zip starts with a local file header, "PK\x03\x04" (or "PK\x05\x06" when empty).
      if (zip.length < 4 || zip[0] !== 0x50 || zip[1] !== 0x4b) {
        throw new Error(`${chosen.name} is not a zip file`);
      }
      const input = { ScriptId: script.ScriptId, ZipFile: zip };
      if (version.value.trim()) {
        input.Version = version.value.trim();
      }
      return api.gamelift("UpdateScript", input);
    },
  }).then((answer) => {
    if (answer) {
      const updated = answer.Script ?? {};
      announce(`Script ${updated.Name ?? script.ScriptId} is now version ${updated.Version ?? ""}.`);
      rerender();
    }
  });
}
