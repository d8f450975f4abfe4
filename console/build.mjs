// Builds the console into dist/, the files the volley binary embeds
// (src/control/console.rs): `npm ci && npm run build`, in this directory.
//
// The output depends only on the sources and the locked packages (esbuild is pinned and
// deterministic; nothing reads the clock, the machine or the environment), so CI rebuilds
// it and checks that dist/ is unchanged.

import { mkdir, readFile, readdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { build } from "esbuild";

const root = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(root, "dist");

await rm(dist, { recursive: true, force: true });
await mkdir(dist);

const common = {
  absWorkingDir: root,
  bundle: true,
  minify: true,
  legalComments: "none",
  charset: "utf8",
  logLevel: "warning",
};

const script = await build({
  ...common,
  entryPoints: ["src/main.js"],
  outfile: "dist/console.js",
  format: "esm",
  platform: "browser",
  target: ["es2020"],
  metafile: true,
});

await build({
  ...common,
  entryPoints: ["src/console.css"],
  outfile: "dist/console.css",
});

for (const name of ["index.html", "icon.svg"]) {
  await writeFile(path.join(dist, name), await readFile(path.join(root, name)));
}

await writeFile(path.join(dist, "licenses.txt"), await notices(script.metafile));

// The licences of the packages whose code is in console.js, each licence text once.
async function notices(metafile) {
  const output = metafile.outputs["dist/console.js"];
  const packages = new Set();
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
    const at = input.lastIndexOf("node_modules/");
    if (bytesInOutput === 0 || at < 0) {
      continue;
    }
    const parts = input.slice(at + "node_modules/".length).split("/");
    const name = parts[0].startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0];
    packages.add(input.slice(0, at + "node_modules/".length) + name);
  }
  const found = new Map();
  for (const directory of packages) {
    const manifest = JSON.parse(await readFile(path.join(root, directory, "package.json"), "utf8"));
    const file = (await readdir(path.join(root, directory))).filter((f) => /^licen[cs]e/i.test(f)).sort()[0];
    const text = file
      ? (await readFile(path.join(root, directory, file), "utf8")).replace(/\r\n/g, "\n").trim()
      : null;
    found.set(`${manifest.name} ${manifest.version}`, { manifest, text });
  }
  const listed = [];
  const texts = new Map();
  for (const [id, { manifest, text }] of [...found.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    listed.push(`${id}: ${manifest.license}${text ? "" : " (no licence file in the package)"}`);
    if (text) {
      texts.set(text, [...(texts.get(text) ?? []), id]);
    }
  }
  const sections = [...texts.entries()].map(
    ([text, users]) => `${"-".repeat(78)}\nThe licence of ${users.join(", ")}:\n\n${text}\n`,
  );
  return [
    "Volley's operator console (Apache-2.0, as Volley) bundles these packages into console.js,",
    "at the versions console/package-lock.json pins:",
    "",
    ...listed,
    "",
    ...sections,
  ].join("\n");
}
