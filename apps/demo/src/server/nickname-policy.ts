import { nicknameProblem } from "../shared/chat-rules.js";

/** Names that would let someone pose as the service itself. */
const RESERVED_NICKNAMES = new Set(["admin", "system", "server", "roomcast"]);

/**
 * The server's full nickname check: the shared shape rules plus policy the page does not know
 * about. A refusal here reaches the page as connect_error data and reopens its nickname dialog.
 */
export function nicknameRefusal(nickname: unknown): string | null {
  const problem = nicknameProblem(nickname);
  if (problem) return problem;
  const trimmed = (nickname as string).trim();
  if (RESERVED_NICKNAMES.has(trimmed.toLowerCase())) return `"${trimmed}" is reserved`;
  return null;
}
