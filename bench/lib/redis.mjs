/** A throwaway redis-server on a free loopback port, with persistence off. */
import { spawn } from "node:child_process";
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
    stop: () =>
      new Promise((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.once("exit", () => resolve());
        proc.kill("SIGTERM");
        setTimeout(() => proc.kill("SIGKILL"), 2000).unref();
      }),
  };
}
