// The page's side of the chat. `io` comes from the socket.io-client bundle loaded before this
// module, used with its default options: long-polling first, then an upgrade to WebSocket.

const ACK_TIMEOUT_MS = 5000;
const TYPING_EVERY_MS = 1000;
const TYPING_SHOWN_MS = 2500;

const $ = (selector) => document.querySelector(selector);
const profileForm = $("#profile");
const joinForm = $("#join");
const composer = $("#composer");
const askForm = $("#ask");

let socket;
let nickname = "";
const joined = new Set();

profileForm.addEventListener("submit", (event) => {
  event.preventDefault();
  nickname = profileForm.elements.nickname.value.trim();
  $("[data-testid=refusal]").hidden = true;
  setStatus("connecting");
  if (socket) {
    // After a refusal the client does not retry on its own: try again with the new nickname.
    socket.auth = { nickname };
    socket.connect();
    return;
  }
  socket = io({ auth: { nickname } });
  listen(socket);
});

function listen(socket) {
  socket.io.on("open", () => {
    const engine = socket.io.engine;
    showTransport(engine.transport.name);
    engine.on("upgrade", (transport) => showTransport(transport.name));
  });

  socket.on("connect", () => {
    setStatus("online");
    $("[data-testid=me]").textContent = `· you are ${nickname}`;
    profileForm.hidden = true;
    $("#chat").hidden = false;
    // A new connection starts in no room: rejoin the rooms this page was in.
    for (const room of joined) void join(room);
  });

  socket.on("connect_error", (err) => {
    if (socket.active) {
      setStatus("reconnecting");
      return;
    }
    // Refused by the server's middleware: say why and let the user pick another nickname.
    setStatus("refused");
    const refusal = $("[data-testid=refusal]");
    refusal.textContent = err.data?.rule ? `${err.message}: ${err.data.rule}` : err.message;
    refusal.hidden = false;
    profileForm.hidden = false;
    $("#chat").hidden = true;
  });

  socket.on("disconnect", () => setStatus(socket.active ? "reconnecting" : "offline"));

  socket.on("user joined", ({ room, nickname: who }) => addNotice(room, `${who} joined`));
  socket.on("user left", ({ room, nickname: who, reason }) =>
    addNotice(room, reason === "disconnected" ? `${who} left (disconnected)` : `${who} left`),
  );

  socket.on("message", (message) => {
    stopTyping(message.room, message.from);
    addMessage({ ...message, mine: false });
  });

  socket.on("typing", ({ room, nickname: who }) => showTyping(room, who));

  socket.on("poll", (poll, answer) => showPoll(poll, answer));
  socket.on("poll closed", (result) => closePoll(result));
}

// Rooms

joinForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  if (await join(joinForm.elements.room.value.trim())) joinForm.reset();
});

async function join(room) {
  const reply = await request("join", room);
  if (!reply.ok) {
    addNotice(room, `could not join: ${reply.error}`);
    return false;
  }
  joined.add(room);
  renderRooms(room);
  addNotice(room, `you joined; here now: ${reply.members.join(", ")}`);
  return true;
}

async function leave(room) {
  const reply = await request("leave", room);
  if (!reply.ok) return addNotice(room, `could not leave: ${reply.error}`);
  joined.delete(room);
  renderRooms();
  addNotice(room, "you left");
}

function renderRooms(selected = composer.elements.room.value) {
  const list = $("#rooms");
  const select = composer.elements.room;
  list.replaceChildren();
  select.replaceChildren();
  for (const room of joined) {
    const item = element("li", { "data-testid": "room", "data-room": room }, `#${room} `);
    const button = element("button", { type: "button", "data-testid": `leave-${room}` }, "Leave");
    button.addEventListener("click", () => void leave(room));
    item.append(button);
    list.append(item);
    select.append(element("option", { value: room }, `#${room}`));
  }
  if (joined.has(selected)) select.value = selected;
}

// Messages

composer.addEventListener("submit", async (event) => {
  event.preventDefault();
  const room = composer.elements.room.value;
  const input = composer.elements.text;
  const text = input.value.trim();
  if (!room || !text) return;
  input.value = "";
  const entry = addMessage({ room, from: nickname, text, mine: true });
  const reply = await request("message", room, text);
  entry.dataset.status = reply.ok ? "delivered" : "failed";
  if (!reply.ok) entry.title = reply.error;
});

let lastTypingSent = 0;
composer.elements.text.addEventListener("input", () => {
  const room = composer.elements.room.value;
  if (!room || Date.now() - lastTypingSent < TYPING_EVERY_MS) return;
  lastTypingSent = Date.now();
  socket.emit("typing", room);
});

const typing = new Map();

function showTyping(room, who) {
  const key = `${room}\n${who}`;
  clearTimeout(typing.get(key));
  typing.set(key, setTimeout(() => stopTyping(room, who), TYPING_SHOWN_MS));
  renderTyping();
}

function stopTyping(room, who) {
  const key = `${room}\n${who}`;
  clearTimeout(typing.get(key));
  typing.delete(key);
  renderTyping();
}

function renderTyping() {
  const lines = [...typing.keys()].map((key) => {
    const [room, who] = key.split("\n");
    return `${who} is typing in #${room}…`;
  });
  $("#typing").textContent = lines.join(" ");
}

// Polls

askForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const room = composer.elements.room.value;
  const question = askForm.elements.question.value.trim();
  if (!room || !question) return;
  const reply = await request("poll", room, question);
  if (reply.ok) askForm.reset();
  else addNotice(room, `could not ask: ${reply.error}`);
});

function showPoll(poll, answer) {
  const card = element("div", { "data-testid": "poll", "data-poll": poll.id, "data-state": "open" });
  card.append(element("p", {}, `#${poll.room} · ${poll.from} asks: ${poll.question}`));
  for (const choice of poll.choices) {
    const button = element("button", { type: "button", "data-testid": `vote-${choice}` }, choice);
    button.addEventListener("click", () => {
      answer(choice);
      card.dataset.answered = choice;
      for (const b of card.querySelectorAll("button")) b.disabled = true;
    });
    card.append(button);
  }
  card.append(element("p", { "data-testid": "poll-result" }, "waiting for answers…"));
  $("#polls").prepend(card);
}

function closePoll({ id, room, question, votes, everyoneAnswered }) {
  const card = document.querySelector(`[data-poll="${CSS.escape(id)}"]`);
  const summary = Object.entries(votes)
    .map(([choice, count]) => `${choice} ${count}`)
    .join(" · ");
  const text = everyoneAnswered ? summary : `${summary} (not everyone answered)`;
  addNotice(room, `poll "${question}": ${text}`);
  if (!card) return;
  card.dataset.state = "closed";
  card.querySelector("[data-testid=poll-result]").textContent = text;
  for (const b of card.querySelectorAll("button")) b.disabled = true;
}

// Shared bits

function request(event, ...args) {
  return socket
    .timeout(ACK_TIMEOUT_MS)
    .emitWithAck(event, ...args)
    .catch(() => ({ ok: false, error: "no answer from the server" }));
}

function addMessage({ room, from, text, mine }) {
  const entry = element("li", {
    "data-testid": "entry",
    "data-kind": "message",
    "data-room": room,
    "data-from": from,
    "data-mine": String(mine),
    "data-status": mine ? "sending" : "received",
  });
  entry.append(element("span", { class: "room" }, `#${room} `), element("b", {}, `${from}: `), element("span", { "data-testid": "text" }, text));
  return append(entry);
}

function addNotice(room, text) {
  const entry = element("li", { "data-testid": "entry", "data-kind": "notice", "data-room": room });
  entry.append(element("span", { class: "room" }, `#${room} `), element("span", { "data-testid": "text" }, text));
  return append(entry);
}

function append(entry) {
  const log = $("#log");
  log.append(entry);
  entry.scrollIntoView({ block: "nearest" });
  return entry;
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

// Text always goes through textContent: nothing a peer sends is parsed as HTML.
function element(tag, attributes = {}, text = "") {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  node.textContent = text;
  return node;
}
