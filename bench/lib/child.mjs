import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";

/**
 * A forked bench process spoken to over IPC. `request` sends `{id, cmd, ...}` and resolves with the
 * reply carrying the same id; other messages go to `on(type)` listeners. Every child is tracked so
 * a workload that misses its deadline can kill all of them.
 */
export class Child {
  static live = new Set();

  constructor(script, { args = [], execArgv = [], env, name } = {}) {
    this.name = name ?? script;
    this.nextId = 1;
    this.pending = new Map();
    this.listeners = new Map();
    this.exited = false;
    const path = script instanceof URL ? fileURLToPath(script) : script;
    this.proc = fork(path, args, {
      execArgv,
      env: { ...process.env, ...env },
      stdio: ["ignore", "inherit", "inherit", "ipc"],
      serialization: "advanced",
    });
    Child.live.add(this);
    this.proc.on("message", (msg) => this.onMessage(msg));
    this.exit = new Promise((resolve) => {
      this.proc.on("exit", (code, signal) => {
        this.exited = true;
        Child.live.delete(this);
        const error = new Error(`${this.name} exited (${signal ?? code})`);
        for (const { reject } of this.pending.values()) reject(error);
        this.pending.clear();
        for (const waiters of this.listeners.values()) for (const w of waiters) w.reject?.(error);
        resolve({ code, signal });
      });
    });
    this.proc.on("error", () => {});
  }

  onMessage(msg) {
    if (msg && msg.replyTo !== undefined) {
      const waiter = this.pending.get(msg.replyTo);
      if (!waiter) return;
      this.pending.delete(msg.replyTo);
      if (msg.error) waiter.reject(new Error(`${this.name}: ${msg.error}`));
      else waiter.resolve(msg);
      return;
    }
    const waiters = this.listeners.get(msg?.type);
    if (waiters) for (const w of [...waiters]) w.fn(msg);
  }

  request(cmd, fields = {}) {
    if (this.exited) return Promise.reject(new Error(`${this.name} is not running`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.proc.send({ id, cmd, ...fields });
    });
  }

  /** Calls `fn` for every message of `type`; returns an unsubscribe function. */
  on(type, fn, reject) {
    let set = this.listeners.get(type);
    if (!set) this.listeners.set(type, (set = new Set()));
    const entry = { fn, reject };
    set.add(entry);
    return () => set.delete(entry);
  }

  /** Resolves with the first message of `type`. */
  once(type) {
    return new Promise((resolve, reject) => {
      const off = this.on(type, (msg) => {
        off();
        resolve(msg);
      }, reject);
    });
  }

  /** Asks politely (so --cpu-prof can write its profile), then kills after `graceMs`. */
  async stop(graceMs = 3000) {
    if (this.exited) return;
    try {
      this.proc.send({ id: 0, cmd: "exit" });
    } catch {
      /* channel already closed */
    }
    const timer = setTimeout(() => this.kill(), graceMs);
    await this.exit;
    clearTimeout(timer);
  }

  kill() {
    if (!this.exited) this.proc.kill("SIGKILL");
  }

  static killAll() {
    for (const child of Child.live) child.kill();
  }
}

/** Rejects after `ms` with a message naming what ran out of time. */
export function deadline(ms, what) {
  let timer;
  const promise = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: deadline of ${ms} ms passed`)), ms);
  });
  promise.cancel = () => clearTimeout(timer);
  promise.catch(() => {});
  return promise;
}

/** Runs `fn` with a deadline; on expiry or error every child still alive is killed. */
export async function bounded(ms, what, fn) {
  const limit = deadline(ms, what);
  try {
    return await Promise.race([fn(), limit]);
  } finally {
    limit.cancel();
  }
}

/** Polls `check` until it returns a truthy value or `ms` passes. */
export async function waitFor(check, ms, what, everyMs = 50) {
  const end = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > end) throw new Error(`${what}: not reached within ${ms} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Child-side helper: answers requests from the parent with the handler's result. */
export function serveIpc(handlers) {
  process.on("message", async (msg) => {
    if (!msg || typeof msg.cmd !== "string") return;
    if (msg.cmd === "exit") {
      try {
        await handlers.exit?.();
      } finally {
        process.exit(0);
      }
    }
    const handler = handlers[msg.cmd];
    try {
      if (!handler) throw new Error(`unknown command ${msg.cmd}`);
      const result = await handler(msg);
      process.send({ replyTo: msg.id, ...(result ?? {}) });
    } catch (err) {
      process.send({ replyTo: msg.id, error: String(err?.stack ?? err) });
    }
  });
  // The runner going away must take us with it.
  process.on("disconnect", () => process.exit(0));
}
