// A real Redis for the consumer's server: REDIS_URL if set, else the one on 127.0.0.1:6379 if it
// answers, else a redis-server of our own on a free port, stopped by the returned `stop()`.
import { spawn } from "node:child_process";
import { connect, createServer } from "node:net";

/** True when a Redis at host:port answers PING within `timeoutMs`. */
function answersPing(host, port, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.on("error", () => done(false));
    socket.on("connect", () => socket.write("PING\r\n"));
    socket.on("data", (data) => done(data.toString().startsWith("+PONG")));
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** @returns {Promise<{ url: string, source: string, stop: () => void }>} */
export async function findRedis() {
  if (process.env.REDIS_URL) return { url: process.env.REDIS_URL, source: "REDIS_URL", stop: () => {} };
  if (await answersPing("127.0.0.1", 6379)) return { url: "redis://127.0.0.1:6379", source: "127.0.0.1:6379", stop: () => {} };

  const port = await freePort();
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
  const stop = () => child.kill("SIGKILL");
  const failed = new Promise((_, reject) => child.on("error", (err) => reject(new Error(`no Redis on 127.0.0.1:6379 and redis-server could not start: ${err.message}`))));
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    const up = await Promise.race([answersPing("127.0.0.1", port, 200), failed]).catch((err) => {
      stop();
      throw err;
    });
    if (up) return { url: `redis://127.0.0.1:${port}`, source: `redis-server started on port ${port}`, stop };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  stop();
  throw new Error(`no Redis on 127.0.0.1:6379, and the redis-server started on port ${port} did not answer within 5 s`);
}
