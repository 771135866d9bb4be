/** A throwaway redis-server on a free loopback port, with persistence off. */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { Socket } from "node:net";

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.on("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

function ping(port) {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.setTimeout(500);
    socket.on("error", () => resolve(false));
    socket.on("timeout", () => (socket.destroy(), resolve(false)));
    socket.on("data", (d) => (socket.destroy(), resolve(d.toString().startsWith("+PONG"))));
    socket.connect(port, "127.0.0.1", () => socket.write("PING\r\n"));
  });
}

/** Calls per command name from `INFO commandstats` (`{ publish: 12, ... }`). */
function commandStats(port) {
  return new Promise((resolve) => {
    const socket = new Socket();
    let text = "";
    socket.setTimeout(2000);
    socket.on("error", () => resolve(undefined));
    socket.on("timeout", () => (socket.destroy(), resolve(undefined)));
    socket.on("data", (d) => {
      text += d.toString();
      // a bulk reply: "$<length>\r\n<body>\r\n"
      const header = text.indexOf("\r\n");
      if (header === -1) return;
      const length = Number(text.slice(1, header));
      if (Buffer.byteLength(text) < header + 2 + length) return;
      socket.destroy();
      const calls = {};
      for (const m of text.matchAll(/cmdstat_([^:]+):calls=(\d+)/g)) calls[m[1]] = Number(m[2]);
      resolve(calls);
    });
    socket.connect(port, "127.0.0.1", () => socket.write("INFO commandstats\r\n"));
  });
}

export async function startRedis() {
  const port = await freePort();
  const proc = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--loglevel", "warning"], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  proc.on("error", () => {});
  const end = Date.now() + 5000;
  while (!(await ping(port))) {
    if (proc.exitCode !== null || Date.now() > end) {
      proc.kill("SIGKILL");
      throw new Error("redis-server did not start (is it installed?)");
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    /**
     * CPU the redis-server process has used so far (user + system, ms), from /proc/<pid>/stat in
     * clock ticks (10 ms here); undefined where /proc is not there.
     */
    /** Calls per command since start (`INFO commandstats`); undefined when Redis does not answer. */
    commands: () => commandStats(port),
    cpuMs() {
      try {
        const fields = readFileSync(`/proc/${proc.pid}/stat`, "utf8").split(") ")[1].split(" ");
        // utime and stime are fields 14 and 15 of stat, 12 and 13 after the ") " split
        return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
      } catch {
        return undefined;
      }
    },
    stop: () =>
      new Promise((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.once("exit", () => resolve());
        proc.kill("SIGTERM");
        setTimeout(() => proc.kill("SIGKILL"), 2000).unref();
      }),
  };
}
