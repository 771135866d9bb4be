import type { ChatUser } from "../shared/chat-events.js";
import { colorProblem, nicknameKey } from "../shared/chat-rules.js";
import { chatRooms, refuse, replier, type ChatContext } from "./chat-context.js";
import type { ChatSocket } from "./chat-types.js";
import { nicknameRefusal } from "./nickname-policy.js";

/** A new nickname or colour without reconnecting: the new name is claimed before the old one is let go. */
export function attachProfileHandler({ state, presence, log }: ChatContext, socket: ChatSocket): void {
  socket.on("profile:update", (profile, ack) => {
    const reply = replier<{ user: ChatUser }>(ack);
    const { nickname, color } = (profile ?? {}) as { nickname?: unknown; color?: unknown };
    const problem = nicknameRefusal(nickname) ?? colorProblem(color);
    if (problem) return reply(refuse(problem));
    const before = socket.data.user;
    const user = { id: before.id, nickname: (nickname as string).trim(), color: (color as string).toLowerCase() };
    const renamed = nicknameKey(user.nickname) !== nicknameKey(before.nickname);
    void (async () => {
      if (!(await state.claimNickname(user.nickname, user.id, presence.claimTtlMs))) {
        return reply(refuse(`"${user.nickname}" is already taken: choose another nickname`));
      }
      if (renamed) await state.releaseNickname(before.nickname, user.id);
      socket.data.user = user;
      await presence.online(socket);
      for (const room of chatRooms(socket)) presence.schedule(room);
      reply({ ok: true, user });
    })().catch((err: Error) => {
      log(`profile update failed: ${err.message}`);
      reply(refuse("the server could not save it just now"));
    });
  });
}
