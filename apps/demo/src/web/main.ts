import type { ChatCredentials, ChatUser, Reply } from "../shared/chat-events.js";
import { DEFAULT_ROOMS } from "../shared/chat-rules.js";
import { ACK_TIMEOUT_MS, createChatSocket, credentialsRejection } from "./chat-connection.js";
import { ChatStore, directConversation, roomConversation } from "./chat-store.js";
import { loadProfile, saveProfile } from "./profile-store.js";
import { Composer } from "./ui/composer.js";
import { ConnectionBanner } from "./ui/connection-banner.js";
import { el, required } from "./ui/element.js";
import { MessageList } from "./ui/message-list.js";
import { MissedMessages } from "./ui/missed-messages.js";
import { profileDialogIn } from "./ui/profile-dialog.js";
import { RoomList } from "./ui/room-list.js";
import { TypingIndicator, TypingSender } from "./ui/typing-indicator.js";
import { UserList } from "./ui/user-list.js";

/*
 * The page: one socket, one store, and the components that render it. Socket events write to
 * the store; components subscribe to the store; user actions go out as emits with acks.
 */

const store = new ChatStore();
let credentials: ChatCredentials | null = loadProfile();
const socket = createChatSocket(() => credentials);

const banner = new ConnectionBanner(required("#banner"));
const missed = new MissedMessages(required("#missed"));
const typingIndicator = new TypingIndicator(required("#typing"), store);
const dialog = profileDialogIn(document);
const notice = required("#notice");

function showNotice(text: string): void {
  notice.textContent = text;
}

// Socket.IO-style acks: with timeout(), the callback gets (err, reply); err means no answer in time.
function request<T extends object>(send: (ack: (err: Error | null, reply: Reply<T>) => void) => void): Promise<Reply<T>> {
  return new Promise((resolve) =>
    send((err, reply) => resolve(err ? { ok: false, error: "no answer from the server" } : reply ?? { ok: false, error: "empty reply" })),
  );
}

const rooms = {
  /** `focus`: open the room once joined (a click does; rejoining after a reconnect does not). */
  async join(room: string, focus = true): Promise<void> {
    const reply = await request<{ users: ChatUser[] }>((ack) => socket.timeout(ACK_TIMEOUT_MS).emit("room:join", room, ack));
    if (!reply.ok) return showNotice(`Cannot join #${room}: ${reply.error}`);
    store.setJoined(room, true);
    store.setUsers(room, reply.users);
    if (focus || !store.active) store.open(roomConversation(room));
  },
  async leave(room: string): Promise<void> {
    const reply = await request((ack) => socket.timeout(ACK_TIMEOUT_MS).emit("room:leave", room, ack));
    if (!reply.ok) return showNotice(`Cannot leave #${room}: ${reply.error}`);
    store.setJoined(room, false);
    if (store.activeKey === roomConversation(room)) {
      const next = store.joinedRooms()[0];
      if (next) store.open(roomConversation(next));
    }
  },
};

const typingSender = new TypingSender((room, typing) => socket.volatile.emit("typing", room, typing));

async function send(text: string): Promise<void> {
  const conversation = store.active;
  if (!conversation) return;
  const localId = `local-${crypto.randomUUID()}`;
  // Shown at once; marked delivered when the server acks.
  store.addOwn(conversation.key, localId, text);
  if (conversation.kind === "room") {
    typingSender.stop();
    const reply = await request<{ id: string; at: number }>((ack) =>
      socket.timeout(ACK_TIMEOUT_MS).emit("room:message", conversation.title, text, ack),
    );
    store.settle(conversation.key, localId, reply.ok ? reply : { error: reply.error });
  } else if (conversation.peer) {
    const peer = conversation.peer;
    const reply = await request<{ message: { id: string; at: number } }>((ack) => socket.timeout(ACK_TIMEOUT_MS).emit("dm:send", peer.id, text, ack));
    store.settle(conversation.key, localId, reply.ok ? reply.message : { error: reply.error });
  }
}

new RoomList(required("#sidebar"), store, rooms);
new MessageList(required("#conversation-title"), required<HTMLOListElement>("#messages"), store);
new UserList(required("#people"), store);
new Composer(required<HTMLFormElement>("#composer"), store, {
  send: (text) => void send(text),
  typing: () => {
    if (store.active?.kind === "room") typingSender.keystroke(store.active.title);
  },
});

store.knowRooms([...DEFAULT_ROOMS]);
store.subscribe((change) => {
  if (change.type !== "self" || !store.self) return;
  required('[data-testid="node-id"]').textContent = store.nodeId ?? "?";
  required('[data-testid="socket-id"]').textContent = store.self.id;
  required("#whoami").replaceChildren(
    el("span", { className: "swatch-dot", attrs: { style: `background:${store.self.color}` } }),
    el("span", { data: { testid: "nickname" }, text: store.self.nickname }),
  );
});

// --- connection lifecycle -------------------------------------------------------------

let connectedBefore = false;

socket.on("connect", () => {
  showNotice("");
  const recovered = socket.recovered === true;
  missed.cameBack(recovered);
  if (recovered) return; // the server restored our rooms and replays what we missed
  // A fresh session is in no rooms: join the ones this page was in, or the lobby the first time.
  if (connectedBefore) for (const room of store.joinedRooms()) void rooms.join(room, false);
  else void rooms.join("general");
  connectedBefore = true;
  socket.timeout(ACK_TIMEOUT_MS).emit("room:list", (err, list) => {
    if (!err) store.knowRooms(list.map((r) => r.name));
  });
});

socket.on("session", ({ user, nodeId }) => {
  store.setSession(user, nodeId);
  banner.set({ kind: "online", nodeId });
});

socket.on("disconnect", (reason) => {
  missed.wentOffline();
  typingSender.stop();
  if (reason === "io server disconnect" || reason === "io client disconnect") banner.set({ kind: "offline", reason });
  else banner.set({ kind: "reconnecting", attempt: 0, reason });
});

socket.io.on("reconnect_attempt", (attempt: number) => banner.set({ kind: "reconnecting", attempt }));
socket.io.on("reconnect_failed", () => banner.set({ kind: "offline", reason: "gave up reconnecting, reload to retry" }));

socket.on("connect_error", (err) => {
  const rejection = credentialsRejection(err);
  if (rejection) {
    // The server refused who we say we are; it will not retry on its own. Ask again, then reconnect.
    banner.set({ kind: "offline", reason: "nickname refused" });
    void dialog.ask(credentials, `${rejection.field}: ${rejection.reason}`).then((next) => {
      credentials = next;
      saveProfile(next);
      banner.set({ kind: "connecting" });
      socket.connect();
    });
    return;
  }
  if (banner.current.kind !== "reconnecting") banner.set({ kind: "reconnecting", attempt: 0, reason: err.message });
});

// --- chat events ------------------------------------------------------------------------

socket.on("room:message", (message) => {
  store.addRoomMessage(message);
  typingIndicator.clear(message.room, message.from.id);
  missed.consider(`#${message.room}`, { ...message, status: "received" });
});
socket.on("dm:message", (message) => {
  store.addDirectMessage(message);
  missed.consider(`@${message.from.nickname}`, { ...message, status: "received" });
  if (!store.active) store.open(directConversation(message.from.id));
});
socket.on("room:created", (room) => store.knowRooms([room]));
socket.on("presence", ({ room, users }) => store.setUsers(room, users));
socket.on("typing", (update) => {
  if (update.user.id !== store.self?.id) typingIndicator.update(update);
});

// --- start ------------------------------------------------------------------------------

async function start(): Promise<void> {
  if (!credentials) {
    credentials = await dialog.ask(null);
    saveProfile(credentials);
  }
  socket.connect();
}
void start();
