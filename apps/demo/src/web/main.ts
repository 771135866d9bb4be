import type { ChatAuth, ChatCredentials, DirectMessage } from "../shared/chat-events.js";
import { DEFAULT_ROOMS } from "../shared/chat-rules.js";
import { createChatSocket, credentialsRejection, failureReason } from "./chat-connection.js";
import { ChatStore, directConversation, roomConversation } from "./chat-store.js";
import { watchNetwork } from "./network-watch.js";
import { Outbox } from "./outbox.js";
import { loadOpenRoom, loadProfile, loadRooms, saveOpenRoom, saveProfile, saveRooms, userKey } from "./profile-store.js";
import { avatar } from "./ui/avatar.js";
import { Composer } from "./ui/composer.js";
import { ConnectionBanner } from "./ui/connection-banner.js";
import { Drawers } from "./ui/drawers.js";
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
const key = userKey();
let credentials: ChatCredentials | null = loadProfile();
// The rooms the next handshake asks for: those this page is in, or those it was in before a reload.
const roomsToBeIn = (): string[] => {
  const joined = store.joinedRooms();
  if (joined.length > 0) return joined;
  const saved = loadRooms();
  return saved.length > 0 ? saved : ["general"];
};
const socket = createChatSocket((): ChatAuth | null => (credentials ? { ...credentials, key, rooms: roomsToBeIn() } : null));
const outbox = new Outbox(socket, store);

// "Try again": a socket that still wants to be connected only needs its connection reopened.
const banner = new ConnectionBanner(required("#banner"), () => (socket.active ? socket.io.open() : socket.connect()));
const missed = new MissedMessages(required("#missed"));
const typingIndicator = new TypingIndicator(required("#typing"), store);
const dialog = profileDialogIn(document);
const notice = required("#notice");
const drawers = new Drawers(
  [
    { panel: required("#sidebar"), toggle: required<HTMLButtonElement>("#rooms-toggle") },
    { panel: required("#people"), toggle: required<HTMLButtonElement>("#people-toggle") },
  ],
  required("#scrim"),
);

function showNotice(text: string): void {
  notice.textContent = text;
}

const rooms = {
  /**
   * Joins `room` (or, for a room the page is already in, fetches its members and history again).
   * `focus`: open the room once joined. `since`: count history messages newer than this as missed.
   */
  async join(room: string, focus = true, since?: number): Promise<void> {
    const wasJoined = store.joinedRooms().includes(room);
    // Joined at once on the page: live messages that beat the reply are kept, and what is written
    // now queues behind the join.
    store.setJoined(room, true);
    if (focus) store.open(roomConversation(room));
    let error: string;
    try {
      const reply = await socket.emitWithAck("room:join", room);
      if (reply.ok) {
        store.setUsers(room, reply.users);
        const reloaded = store.applyHistory(room, reply.history, since);
        if (since !== undefined) missed.addReloaded(reloaded);
        saveRooms(store.joinedRooms());
        if (!store.active) store.open(roomConversation(room));
        return;
      }
      error = reply.error;
    } catch (err) {
      error = failureReason(err);
    }
    if (!wasJoined) store.setJoined(room, false);
    showNotice(`Could not join #${room}: ${error}.`);
  },
  async leave(room: string): Promise<void> {
    try {
      const reply = await socket.emitWithAck("room:leave", room);
      if (!reply.ok) return showNotice(`Could not leave #${room}: ${reply.error}.`);
    } catch (err) {
      return showNotice(`Could not leave #${room}: ${failureReason(err)}.`);
    }
    store.setJoined(room, false);
    saveRooms(store.joinedRooms());
    if (store.activeKey === roomConversation(room)) {
      const next = store.joinedRooms()[0];
      if (next) store.open(roomConversation(next));
    }
  },
};

// Typing hints go to a room, or to the other person of a direct conversation.
const typingSender = new TypingSender((key, typing) => {
  const conversation = store.conversations.get(key);
  if (conversation?.kind === "room") socket.volatile.emit("typing", conversation.title, typing);
  else if (conversation?.peer) socket.volatile.emit("dm:typing", conversation.peer.id, typing);
});

new RoomList(required("#sidebar"), store, { join: (room) => void rooms.join(room), leave: (room) => void rooms.leave(room) });
new MessageList(required("#conversation-title"), required<HTMLOListElement>("#messages"), store, (entry) => outbox.retry(entry));
const userList = new UserList(required("#people"), store);
new Composer(required<HTMLFormElement>("#composer"), store, {
  send: (text) => {
    const conversation = store.active;
    if (!conversation) return;
    typingSender.stop();
    outbox.send(conversation, text);
  },
  typing: () => {
    if (store.active && socket.connected) typingSender.keystroke(store.active.key);
  },
});

// --- top bar, footer, drawers ----------------------------------------------------------------

const whoami = required<HTMLButtonElement>("#whoami");
const peopleToggle = required<HTMLButtonElement>("#people-toggle");
const roomsUnread = required("#rooms-unread");
store.subscribe((change) => {
  if (change.type === "self" && store.self) {
    required('[data-testid="node-id"]').textContent = store.nodeId ?? "?";
    required('[data-testid="socket-id"]').textContent = store.socketId ?? "?";
    whoami.replaceChildren(
      avatar(store.self, "small"),
      el("span", { className: "name", data: { testid: "nickname" }, text: store.self.nickname }),
      el("span", { className: "visually-hidden", text: " (your profile: change name or colour)" }),
    );
  }
  if (change.type === "active") {
    drawers.close(false);
    if (store.active?.kind === "room") saveOpenRoom(store.active.title);
  }
  if (change.type === "entries") banner.setQueued(outbox.queuedCount);
  if (change.type === "conversations" || change.type === "active") {
    const unread = [...store.conversations.values()].reduce((sum, c) => sum + c.unread, 0);
    roomsUnread.hidden = unread === 0;
    // Capped so the badge keeps its width in the phone's top bar; the label says the full count.
    roomsUnread.textContent = unread > 99 ? "99+" : String(unread);
    roomsUnread.setAttribute("aria-label", `${unread} unread`);
  }
  peopleToggle.textContent = store.active?.kind === "room" ? `People (${userList.count})` : "People";
});

whoami.addEventListener("click", () => {
  if (!credentials) return;
  dialog.edit(credentials, async (next) => {
    if (!socket.connected) return "You are offline: try again once the connection is back.";
    try {
      const reply = await socket.emitWithAck("profile:update", next);
      if (!reply.ok) return `Not saved: ${reply.error}.`;
      credentials = { nickname: reply.user.nickname, color: reply.user.color };
      saveProfile(credentials);
      store.setSession(reply.user, store.nodeId, store.socketId);
      return null;
    } catch (err) {
      return `Not saved: ${failureReason(err)}.`;
    }
  });
});

// --- connection lifecycle -------------------------------------------------------------------

let connectedBefore = false;
/** Set from "connect" until "session" says who serves the new connection. */
let pendingSync: { recovered: boolean; since: number | undefined; previousNode: string | null } | null = null;
let previousNode: string | null = null;

socket.on("connect", () => {
  showNotice("");
  const since = missed.gapStart;
  missed.cameBack(socket.recovered);
  outbox.connected();
  pendingSync = { recovered: socket.recovered, since: connectedBefore ? since : undefined, previousNode };
});

// Sent by the server on every connection, right after it: who we are and which node serves us.
socket.on("session", ({ user, nodeId }) => {
  store.setSession(user, nodeId, socket.id ?? null);
  const sync = pendingSync;
  pendingSync = null;
  const movedFrom = sync?.previousNode && sync.previousNode !== nodeId ? sync.previousNode : undefined;
  banner.set({ kind: "online", nodeId, back: connectedBefore, movedFrom });
  if (!sync) return;
  missed.servedBy(sync.previousNode, nodeId);
  const first = !connectedBefore;
  connectedBefore = true;
  // A recovered session is still in its rooms, and the server replayed what it missed.
  if (sync.recovered) return;
  // A fresh session was put in the rooms the handshake named; fetch their members and history
  // (the gap's messages among them). The first time, open the room that was open before a
  // reload, or else the first one.
  const wanted = roomsToBeIn();
  const saved = loadOpenRoom();
  const focus = saved !== null && wanted.includes(saved) ? saved : wanted[0];
  for (const room of wanted) void rooms.join(room, first && room === focus, sync.since);
  socket.emitWithAck("room:list").then(
    (list) => store.knowRooms(list.map((r) => r.name)),
    () => {}, // the list is a convenience: rooms announced later still appear
  );
});

socket.on("disconnect", (reason) => {
  missed.wentOffline();
  outbox.disconnected();
  previousNode = store.nodeId;
  typingSender.stop();
  if (reason === "io client disconnect") banner.set({ kind: "offline", reason: "disconnected", retry: true });
  else if (reason === "io server disconnect") banner.set({ kind: "offline", reason: "the server ended this session", retry: true });
  else banner.set({ kind: "reconnecting", attempt: 1 });
});

// The browser says the network went away: drop the connection now rather than when the heartbeat
// notices, so what is written meanwhile waits in the queue (see network-watch.ts).
watchNetwork(socket, (up) => banner.setNetwork(up));

socket.io.on("reconnect_attempt", (attempt: number) => banner.set({ kind: "reconnecting", attempt }));
socket.io.on("reconnect_failed", () => banner.set({ kind: "offline", reason: "the server could not be reached", retry: true }));

socket.on("connect_error", (err) => {
  const rejection = credentialsRejection(err);
  if (rejection) {
    // The server refused who we say we are; it will not retry on its own. Ask again, then reconnect.
    banner.set({ kind: "offline", reason: "choose another nickname" });
    void dialog.ask(credentials, rejection.reason).then((next) => {
      credentials = next;
      saveProfile(next);
      banner.set({ kind: "connecting" });
      socket.connect();
    });
    return;
  }
  if ((err as { data?: { code?: string } }).data?.code === "UNAVAILABLE") {
    // The server could not check the nickname (its storage is down for a moment): try again shortly.
    setTimeout(() => socket.connect(), 2000);
  }
  if (banner.current.kind !== "reconnecting") banner.set({ kind: "reconnecting", attempt: 1 });
});

// --- chat events ----------------------------------------------------------------------------

socket.on("room:message", (message) => {
  if (!store.addRoomMessage(message)) return;
  typingIndicator.clear(roomConversation(message.room), message.from.id);
  missed.consider(`#${message.room}`, { ...message, status: "received" });
});
/** `kept`: sent again after a reconnect because no receipt of ours had reached the server. */
function receiveDirect(message: DirectMessage, kept: boolean): void {
  if (store.addDirectMessage(message)) {
    const where = `@${message.from.nickname}`;
    if (kept) missed.addKept(where, { ...message, status: "received" });
    else missed.consider(where, { ...message, status: "received" });
    typingIndicator.clear(directConversation(message.from.id), message.from.id);
    if (!store.active) store.open(directConversation(message.from.id));
  }
  // Tells the sender it arrived, for a copy already shown too: the server sends a message again
  // until a receipt reaches it. Receipts go through the client's queue like everything else, so
  // one written while offline is sent once the connection is back.
  socket.emit("dm:receipt", message.id, message.from.id, () => {});
}
socket.on("dm:message", (message) => receiveDirect(message, false));
socket.on("dm:undelivered", (messages) => {
  for (const message of messages) receiveDirect(message, true);
});
socket.on("dm:delivered", (receipt) => outbox.receipt(receipt));
socket.on("room:created", (room) => store.knowRooms([room]));
socket.on("presence", ({ room, users }) => store.setUsers(room, users));
socket.on("typing", (update) => {
  if (update.user.id !== store.self?.id) typingIndicator.update(update);
});

// Closing the tab is a goodbye: the server frees the nickname at once instead of keeping it for
// the recovery window. (A reload says goodbye too, then takes the name back.)
window.addEventListener("pagehide", () => socket.disconnect());
// Back from the browser's page cache: connect again (the session was said goodbye to).
window.addEventListener("pageshow", (event) => {
  if (event.persisted && credentials) socket.connect();
});

// --- start ----------------------------------------------------------------------------------

async function start(): Promise<void> {
  if (!credentials) {
    credentials = await dialog.ask(null);
    saveProfile(credentials);
  }
  store.knowRooms([...DEFAULT_ROOMS]);
  socket.connect();
}
void start();
