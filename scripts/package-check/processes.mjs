// Child processes for the package check: every one has a deadline, runs in a process group of its
// own (so a timeout takes its children too: npm's scripts, tsc's workers), and is killed if the
// check itself stops early.
import { spawn } from "node:child_process";

const live = new Set();

/** Kills every process group still running (on a timeout of the whole check, or on a signal). */
export function killAll() {
  for (const child of live) killGroup(child);
}

function killGroup(child) {
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    // already gone
  }
}

/**
 * Starts `command` and resolves with its exit code and output once it ends. Past `timeoutMs` the
 * group is killed and the result has `timedOut: true`. Never rejects.
 */
export function run(command, args, { cwd, env, timeoutMs, onStdout } = {}) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    live.add(child);
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout.setEncoding("utf8").on("data", (chunk) => {
      stdout += chunk;
      onStdout?.(stdout);
    });
    child.stderr.setEncoding("utf8").on("data", (chunk) => (stderr += chunk));
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child);
    }, timeoutMs ?? 60_000);
    const finish = (code, error) => {
      clearTimeout(timer);
      live.delete(child);
      resolve({ code, stdout, stderr: error ? `${stderr}${error.message}\n` : stderr, timedOut, ms: Date.now() - started });
    };
    child.on("error", (error) => finish(-1, error));
    child.on("close", (code, signal) => finish(code ?? (signal ? `signal ${signal}` : -1)));
  });
}

/** `run`, throwing with the command's output when it fails or times out. */
export async function runOrThrow(command, args, options = {}) {
  const result = await run(command, args, options);
  if (result.code !== 0) {
    const why = result.timedOut ? `timed out after ${options.timeoutMs ?? 60_000} ms` : `exited with ${result.code}`;
    throw new Error(`${command} ${args.join(" ")} ${why} (in ${options.cwd ?? process.cwd()})\n${result.stdout}${result.stderr}`);
  }
  return result;
}

export function seconds(ms) {
  return `${(ms / 1000).toFixed(1)} s`;
}
