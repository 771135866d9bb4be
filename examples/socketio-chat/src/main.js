// `node src/main.js` runs the chat on Socket.IO; `node src/main.js roomcast` runs the same code on
// roomcast (src/server-roomcast.js differs only in its import of Server).
const entry = process.argv[2] === "roomcast" ? "./server-roomcast.js" : "./server.js";
const { start } = await import(entry);

const chat = await start({ port: Number(process.env.PORT ?? 3000), host: process.env.HOST ?? "127.0.0.1" });
console.log(`chat on ${chat.url} (${process.argv[2] === "roomcast" ? "roomcast" : "socket.io"})`);

for (const signal of ["SIGINT", "SIGTERM"]) process.once(signal, () => void chat.close());
