#!/usr/bin/env node
/**
 * pnpm bench: roomcast vs Socket.IO 4.8 (websocket transport) vs bare ws, side by side in one run.
 *
 *   node bench/run.mjs [--quick] [--only=fanout,latency,latency-raw,acks,once,memory,crossnode,size,scale,sessions,roomscope]
 *                      [--systems=roomcast,socketio,ws,ws-ref,roomcast-sio,roomcast-recovery,roomcast-traced,roomcast-once] [--profile]
 *
 * Prints one table and writes bench/results/<timestamp>.json and .md plus bench/results/latest.md.
 * A benchmark, not a test: it exits 0 whatever the numbers are. Every workload has a deadline after
 * which its processes are killed and the row shows the error.
 */
import { mkdirSync, readdirSync, writeFileSync, readFileSync } from "node:fs";
import { cpus, loadavg, totalmem, release } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Child, bounded } from "./lib/child.mjs";
import { markdownTable, tabulate, textTable } from "./lib/report.mjs";
import { topFrames } from "./lib/profile.mjs";
import { full, quick } from "./settings.mjs";
import { fanout } from "./workloads/fanout.mjs";
import { latency } from "./workloads/latency.mjs";
import { acks } from "./workloads/acks.mjs";
import { memory } from "./workloads/memory.mjs";
import { crossnode } from "./workloads/crossnode.mjs";
import { clientSize } from "./workloads/client-size.mjs";
import { scale } from "./workloads/scale.mjs";
import { sessions } from "./workloads/sessions.mjs";
import { roomscope } from "./workloads/roomscope.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const RESULTS = join(HERE, "results");
/* once: the acks workload on roomcast with and without the exactly-once ids (EVENT_ONCE) */
const WORKLOADS = { fanout, latency, "latency-raw": latency, acks, once: acks, memory, crossnode, size: clientSize, scale, sessions, roomscope };

function parseArgs(argv) {
  const args = { quick: false, only: Object.keys(WORKLOADS), systems: undefined, profile: false };
  for (const arg of argv) {
    if (arg === "--quick") args.quick = true;
    else if (arg === "--profile") args.profile = true;
    else if (arg.startsWith("--only=")) args.only = arg.slice(7).split(",").filter(Boolean);
    else if (arg.startsWith("--systems=")) args.systems = arg.slice(10).split(",").filter(Boolean);
    else if (arg === "--help" || arg === "-h") {
      console.log(readFileSync(fileURLToPath(import.meta.url), "utf8").split("\n").slice(2, 11).join("\n"));
      process.exit(0);
    } else throw new Error(`unknown option ${arg}`);
  }
  for (const w of args.only) if (!WORKLOADS[w]) throw new Error(`unknown workload ${w} (known: ${Object.keys(WORKLOADS).join(", ")})`);
  return args;
}

function readText(path) {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    return undefined;
  }
}

function machine() {
  const cpu = cpus();
  return {
    node: process.version,
    kernel: release(),
    cpuModel: cpu[0]?.model,
    cpus: cpu.length,
    memoryGB: Math.round(totalmem() / 2 ** 30),
    loadavgAtStart: loadavg().map((x) => Number(x.toFixed(2))),
    ephemeralPorts: readText("/proc/sys/net/ipv4/ip_local_port_range"),
    note: "servers and load clients share these CPUs; load clients compete with the server for CPU",
  };
}

function stamp(date) {
  return date.toISOString().replace(/[:]/g, "-").replace(/\..+$/, "Z");
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const settings = args.quick ? quick : full;
  const started = new Date();
  const id = stamp(started);
  const profileDir = args.profile ? join(RESULTS, "profiles", id) : undefined;
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  const results = {
    id,
    startedAt: started.toISOString(),
    // as typed, so that a run can be repeated exactly (--systems narrows what each workload runs)
    command: ["node bench/run.mjs", ...process.argv.slice(2)].join(" "),
    quick: args.quick,
    only: args.only,
    machine: machine(),
    settings: {},
    workloads: {},
    errors: [],
  };

  const stopOnSignal = () => {
    Child.killAll();
    process.exit(130);
  };
  process.on("SIGINT", stopOnSignal);
  process.on("SIGTERM", stopOnSignal);

  for (const name of args.only) {
    const opts = settings[name];
    // --systems also sets the order, to check that running first or last does not decide a figure.
    const systems = opts.systems ? (args.systems ?? opts.systems).filter((s) => opts.systems.includes(s)) : [undefined];
    results.settings[name] = opts.systems ? { ...opts, systems } : opts;
    results.workloads[name] = {};
    for (const system of systems) {
      const label = system ? `${name}/${system}` : name;
      // the machine is shared: what else ran is part of each figure's story
      (results.loadavg ??= {})[label] = Number(loadavg()[0].toFixed(2));
      process.stdout.write(`${label} ... `);
      const t0 = Date.now();
      try {
        const r = await bounded(opts.deadlineMs, label, () => WORKLOADS[name](system, opts, { profileDir }));
        if (system) results.workloads[name][system] = r;
        else results.workloads[name] = r;
        console.log(`done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      } catch (err) {
        Child.killAll();
        const message = String(err?.message ?? err).split("\n")[0];
        if (system) results.workloads[name][system] = { error: message };
        results.errors.push({ workload: label, error: message });
        console.log(`failed: ${message}`);
      }
      // Let sockets in TIME_WAIT and killed processes settle before the next system starts.
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  results.finishedAt = new Date().toISOString();
  if (profileDir) results.profiles = summariseProfiles(profileDir);

  const rows = tabulate(results);
  results.table = rows.map(({ label, columns, values, target }) => ({ label, columns, values, target }));
  console.log(`\n${textTable(rows)}\n`);
  for (const e of results.errors) console.log(`error: ${e.workload}: ${e.error}`);

  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, `${id}.json`), `${JSON.stringify(results, null, 2)}\n`);
  const md = markdown(results, rows);
  writeFileSync(join(RESULTS, `${id}.md`), md);
  writeFileSync(join(RESULTS, "latest.md"), md);
  console.log(`wrote bench/results/${id}.json, ${id}.md and latest.md`);
}

function summariseProfiles(dir) {
  const out = {};
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".cpuprofile"))) {
    try {
      out[file] = topFrames(join(dir, file));
    } catch (err) {
      out[file] = { error: String(err.message ?? err) };
    }
  }
  return out;
}

function markdown(results, rows) {
  const m = results.machine;
  const lines = [
    `# roomcast benchmark ${results.id}${results.quick ? " (quick)" : ""}`,
    "",
    `Command: \`${results.command}\``,
    "",
    `Machine: ${m.cpus} × ${m.cpuModel}, ${m.memoryGB} GB, Linux ${m.kernel}, Node ${m.node}, load average at start ${m.loadavgAtStart.join(" / ")}. ` +
      "Servers and load clients share these CPUs, so clients compete with the server being measured.",
    "",
    markdownTable(rows),
    "",
    "rc/SIO, rc/ws, rc/ws-ref: roomcast's figure divided by the other system's (lower is better for CPU, latency, memory and size; higher for throughput).",
    "",
    "Rows ending in \"Socket.IO dialect\": the roomcast column is roomcast serving Socket.IO's own protocol (`socketio: true`, system roomcast-sio) " +
      "to the same raw Engine.IO/Socket.IO clients as Socket.IO, so rc/SIO there is roomcast-sio divided by Socket.IO.",
    "",
  ];
  if (results.loadavg) {
    lines.push(`One-minute load average as each system started: ${Object.entries(results.loadavg).map(([k, v]) => `${k} ${v}`).join(", ")}.`, "");
  }
  if (results.errors.length) {
    lines.push("## Errors", "", ...results.errors.map((e) => `- ${e.workload}: ${e.error}`), "");
  }
  lines.push("## Raw results", "", "```json", JSON.stringify(results.workloads, null, 2), "```", "");
  lines.push("## Settings", "", "```json", JSON.stringify(results.settings, null, 2), "```", "");
  if (results.profiles) {
    lines.push("## CPU profiles (server processes, top self time)", "");
    for (const [file, p] of Object.entries(results.profiles)) {
      lines.push(`### ${file}`, "");
      if (p.error) {
        lines.push(p.error, "");
        continue;
      }
      lines.push(`${p.busyMs.toFixed(0)} ms busy of ${p.totalMs.toFixed(0)} ms profiled; shares are of busy time`, "", "| self ms | share | frame |", "|---:|---:|---|");
      for (const f of p.frames) lines.push(`| ${f.selfMs.toFixed(1)} | ${(f.share * 100).toFixed(1)}% | \`${f.frame}\` |`);
      lines.push("", `by module: ${p.modules.map((m) => `${m.module} ${(m.share * 100).toFixed(0)}%`).join(", ")}`, "");
    }
  }
  return lines.join("\n");
}

main().catch((err) => {
  Child.killAll();
  console.error(err);
  process.exit(1);
});
