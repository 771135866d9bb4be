import { start } from "./app.js";

const app = await start({
  port: Number(process.env.PORT ?? 3000),
  host: process.env.HOST ?? "127.0.0.1",
  sessionSecret: process.env.SESSION_SECRET || undefined,
});
console.log(`express + roomcast on ${app.url}`);

for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => void app.close());
