import type { ChatAuth, CredentialsRejection } from "../shared/chat-events.js";
import { MAX_ROOMS_PER_USER, colorProblem, normalizeRoomName, userKeyProblem } from "../shared/chat-rules.js";
import type { ChatState } from "./chat-state.js";
import { chatRooms, type ChatContext } from "./chat-context.js";
import { RECOVERY_WINDOW_MS, roomKey, userRoom, type ChatServer, type ChatSocket } from "./chat-types.js";
import { attachDirectHandlers, sendUndeliveredDirects } from "./direct-handlers.js";
import { userIdFromKey } from "./identity.js";
import { MemoryChatState } from "./memory-chat-state.js";
import { nicknameRefusal } from "./nickname-policy.js";
import { Presence } from "./presence.js";
import { attachProfileHandler } from "./profile-handler.js";
import { attachRoomHandlers } from "./room-handlers.js";

export interface ChatOptions {
  nodeId: string;
  /** Names, presence and history; shared through Redis in a cluster. Default: in memory. */
  state?: ChatState;
  /** See {@link PresenceOptions.refreshMs}; default 10 s. */
  presenceRefreshMs?: number;
  log?: (message: string) => void;
}

/* A drop the page may come back from (recovery keeps its session); the others are goodbyes. */
const DELIBERATE = new Set(["client namespace disconnect", "server namespace disconnect"]);

/**
 * Wires the chat onto a roomcast server: the handshake check (valid, unique nickname), rooms and
 * their history, direct messages with receipts, presence and typing. Returns a function that
 * releases the chat's timers.
 */
export function attachChat(io: ChatServer, options: ChatOptions): () => void {
  const log = options.log ?? ((message: string) => console.error(`[${options.nodeId}] ${message}`));
  const state = options.state ?? new MemoryChatState();
  const presence = new Presence(io, state, { refreshMs: options.presenceRefreshMs ?? 10_000, log });
  const context: ChatContext = { io, state, presence, log };

  // Runs on every fresh connection (a recovered one keeps what it had), so a nickname that became
  // invalid or was taken meanwhile sends the page back to its nickname dialog.
  io.use((socket, next) => {
    const auth = socket.handshake.auth as Partial<Record<keyof ChatAuth, unknown>>;
    const refuse = (field: CredentialsRejection["field"], reason: string) =>
      next(Object.assign(new Error("invalid credentials"), { data: { code: "INVALID_CREDENTIALS", field, reason } satisfies CredentialsRejection }));
    const nicknameError = nicknameRefusal(auth.nickname);
    if (nicknameError) return refuse("nickname", nicknameError);
    const colorError = colorProblem(auth.color);
    if (colorError) return refuse("color", colorError);
    const keyError = userKeyProblem(auth.key);
    if (keyError) return refuse("key", keyError);
    const user = { id: userIdFromKey(auth.key as string), nickname: (auth.nickname as string).trim(), color: (auth.color as string).toLowerCase() };
    state.claimNickname(user.nickname, user.id, presence.claimTtlMs).then(
      (claimed) => {
        if (!claimed) return refuse("nickname", `"${user.nickname}" is already taken: choose another nickname`);
        socket.data = { user };
        next();
      },
      (err: Error) => {
        log(`nickname claim failed: ${err.message}`);
        next(Object.assign(new Error("the chat is unavailable for a moment"), { data: { code: "UNAVAILABLE" } }));
      },
    );
  });

  io.on("connection", (socket) => {
    const user = socket.data.user;
    socket.emit("session", { user, nodeId: options.nodeId });
    if (socket.recovered) {
      // Back in its rooms without joining them again (middleware skipped too): renew the name.
      void state.claimNickname(user.nickname, user.id, presence.claimTtlMs).catch(() => {});
    } else {
      // A fresh session is in no rooms: join the ones the page asks for before any of its
      // messages is handled, so what it queued while offline finds them joined.
      void socket.join(userRoom(user.id));
      const wanted = (socket.handshake.auth as { rooms?: unknown }).rooms;
      const rooms = (Array.isArray(wanted) ? wanted : []).map(normalizeRoomName).filter((room): room is string => room !== null);
      for (const room of new Set(rooms.slice(0, MAX_ROOMS_PER_USER))) void socket.join(roomKey(room));
    }
    void markOnline(context, socket);
    // Direct messages no page of this person confirmed yet, on every connection: a fresh session
    // has no other way to get them; a recovered one had them replayed too, and the page shows
    // each message once.
    void sendUndeliveredDirects(context, socket);

    attachRoomHandlers(context, socket);
    attachDirectHandlers(context, socket);
    attachProfileHandler(context, socket);

    // Rooms are already empty by the time "disconnect" fires, so remember them here.
    let roomsAtDisconnect: string[] = [];
    socket.on("disconnecting", () => {
      roomsAtDisconnect = chatRooms(socket);
    });
    socket.on("disconnect", (reason) => {
      void markOffline(context, socket, roomsAtDisconnect, DELIBERATE.has(reason));
    });
  });

  return () => presence.close();
}

async function markOnline({ state, presence, log }: ChatContext, socket: ChatSocket): Promise<void> {
  const rooms = chatRooms(socket);
  try {
    await presence.online(socket);
    await Promise.all(rooms.map((room) => state.addMember(room, socket.data.user.id)));
  } catch (err) {
    log(`presence of ${socket.data.user.nickname} not saved: ${(err as Error).message}`);
  }
  for (const room of rooms) presence.schedule(room);
}

/** A goodbye frees the name and the seats at once; a drop keeps them for the recovery window. */
async function markOffline({ state, presence, log }: ChatContext, socket: ChatSocket, rooms: string[], deliberate: boolean): Promise<void> {
  const user = socket.data.user;
  try {
    if (deliberate) {
      if (await state.forgetUser(user.id, socket.id)) {
        await Promise.all([state.releaseNickname(user.nickname, user.id), ...rooms.map((room) => state.removeMember(room, user.id))]);
      }
    } else if (await state.markAway(user.id, socket.id, Date.now(), RECOVERY_WINDOW_MS)) {
      await state.claimNickname(user.nickname, user.id, RECOVERY_WINDOW_MS);
    }
  } catch (err) {
    log(`presence of ${user.nickname} not updated: ${(err as Error).message}`);
  }
  for (const room of rooms) presence.schedule(room);
}
