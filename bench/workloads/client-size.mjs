/**
 * Client size: each browser client bundled the same way (esbuild, ESM, browser conditions,
 * minified, tree-shaken from an entry that uses `io`) and gzipped at level 9. The roomcast
 * client's own build also writes dist/browser/sizes.json; it is reported next to ours.
 */
import { build } from "esbuild";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { bundleClient, JSON_ENTRY } from "../../scripts/check-client-size.mjs";

const BENCH = dirname(dirname(fileURLToPath(import.meta.url)));
const CLIENT_PKG = join(BENCH, "..", "packages", "client");

/** Entry points: what an app that connects and emits would import. */
const ENTRIES = {
  "socket.io-client": `import { io } from "socket.io-client"; globalThis.__io = io;`,
};

async function bundleSize(source, workdir, name) {
  const entry = join(workdir, `${name}.mjs`);
  writeFileSync(entry, source);
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    // The client package targets ES2022 too; older targets add class-field helpers.
    target: "es2022",
    write: false,
    logLevel: "silent",
    nodePaths: [join(BENCH, "node_modules")],
    define: { "process.env.NODE_ENV": '"production"' },
  });
  const code = result.outputFiles[0].contents;
  return { minBytes: code.length, gzipBytes: gzipSync(code, { level: 9 }).length };
}

export async function clientSize() {
  const workdir = mkdtempSync(join(BENCH, ".size-"));
  const out = {};
  try {
    const entries = { ...ENTRIES };
    const msgpackEntry = findMsgpackEntry();
    if (msgpackEntry) entries["roomcast-msgpack"] = msgpackEntry;
    for (const [name, source] of Object.entries(entries)) {
      try {
        out[name] = await bundleSize(source, workdir, name);
      } catch (err) {
        out[name] = { error: String(err.message ?? err).split("\n")[0] };
      }
    }
    try {
      const { minBytes, gzipBytes } = await bundleClient(JSON_ENTRY);
      out["roomcast-json"] = { minBytes, gzipBytes };
    } catch (err) {
      out["roomcast-json"] = { error: String(err.message ?? err).split("\n")[0] };
    }
  } finally {
    rmSync(workdir, { recursive: true, force: true });
  }
  const sizesFile = join(CLIENT_PKG, "dist", "browser", "sizes.json");
  if (existsSync(sizesFile)) out.roomcastBuildSizes = JSON.parse(readFileSync(sizesFile, "utf8"));
  return out;
}

/**
 * The msgpack build: a client that passes the msgpack codec. Where the codec is exported from is
 * the client package's choice; use the first entry that exists.
 */
function findMsgpackEntry() {
  const candidates = [
    ["@roomcast/client/msgpack", "msgpackCodec"],
    ["@roomcast/protocol/msgpack", "msgpackCodec"],
  ];
  for (const [specifier, name] of candidates) {
    const [scope, pkg, ...rest] = specifier.split("/");
    const manifest = join(BENCH, "node_modules", scope, pkg, "package.json");
    if (!existsSync(manifest)) continue;
    const exportsField = JSON.parse(readFileSync(manifest, "utf8")).exports ?? {};
    if (exportsField[`./${rest.join("/")}`]) {
      return `import { io } from "@roomcast/client"; import { ${name} } from "${specifier}"; globalThis.__io = (u) => io(u, { codec: ${name} });`;
    }
  }
  return undefined;
}
