// The page's side. `io` comes from the socket.io-client bundle loaded before this module, used with
// its default options: long-polling first, then an upgrade to WebSocket. The browser sends the
// session cookie with the handshake, which is all the server needs to know who is here.

const $ = (selector) => document.querySelector(selector);

const socket = io();

socket.io.on("open", () => {
  const engine = socket.io.engine;
  showTransport(engine.transport.name);
  engine.on("upgrade", (transport) => showTransport(transport.name));
});

socket.on("connect", () => setStatus("online"));

socket.on("connect_error", (err) => {
  if (socket.active) {
    setStatus("reconnecting");
    return;
  }
  // Refused by the server's middleware: not signed in.
  setStatus("refused");
  const reason = err.data?.reason ? ` (${err.data.reason})` : "";
  $("[data-testid=refusal]").textContent = `The server refused the connection: ${err.message}${reason}`;
  $("#signed-in").hidden = true;
  $("#signed-out").hidden = false;
});

socket.on("disconnect", () => setStatus(socket.active ? "reconnecting" : "offline"));

socket.on("hello", ({ name, views, transport }) => {
  $("[data-testid=greeting]").textContent = `Hello, ${name}!`;
  showSession({ views, transport });
  $("#signed-out").hidden = true;
  $("#signed-in").hidden = false;
});

$("[data-testid=refresh]").addEventListener("click", async () => {
  const reply = await socket
    .timeout(5000)
    .emitWithAck("whoami")
    .catch(() => ({ ok: false }));
  if (reply.ok) showSession(reply);
});

if (new URLSearchParams(location.search).get("login") === "failed") $("[data-testid=login-failed]").hidden = false;

function showSession({ views, transport }) {
  $("[data-testid=views]").textContent = String(views);
  $("[data-testid=server-transport]").textContent = transport;
}

function setStatus(status) {
  document.body.dataset.connection = status;
  $("[data-testid=status]").textContent = status;
}

// The page keeps the transports it went through (default options: "polling websocket").
function showTransport(name) {
  $("[data-testid=transport]").textContent = name;
  const seen = document.body.dataset.transports?.split(" ") ?? [];
  if (seen.at(-1) !== name) document.body.dataset.transports = [...seen, name].join(" ");
}
