// One roomcast server in its own process, from the built package (see built-core.ts).
// argv: port (0 = any). Reports {type:"listening",port} over IPC; answers {type:"metrics"} with
// {type:"metrics", metrics, counts}; {type:"close"} closes gracefully and lets the process exit.
import { Server } from "../../dist/index.js";

const quiet = { warn: () => {}, error: () => {} };
const io = new Server({ logger: quiet, pingInterval: 30_000, pingTimeout: 30_000 });
io.on("connection", (socket) => {
  socket.on("ping?", (ack) => typeof ack === "function" && ack(process.pid));
});
const { createServer } = await import("node:http");
const http = createServer();
io.attach(http);
// Room for a burst of reconnecting clients in the accept queue (the kernel caps it at somaxconn).
http.listen({ port: Number(process.argv[2] ?? 0), host: "127.0.0.1", backlog: 4096 }, () => {
  process.send({ type: "listening", port: http.address().port });
});
process.on("message", async (message) => {
  if (message.type === "metrics") process.send({ type: "metrics", metrics: { ...io.metrics }, counts: io.debugCounts() });
  if (message.type === "close") {
    await io.close();
    process.send({ type: "closed" });
    process.disconnect();
  }
});
