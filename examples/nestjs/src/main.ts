import { start } from "./app.js";

const chat = await start({ port: Number(process.env.PORT ?? 3000), host: process.env.HOST ?? "127.0.0.1" });
console.log(`NestJS chat on roomcast: ${chat.url} (roomcast clients at /roomcast, socket.io-clients at /socket.io/)`);

for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => void chat.close());
