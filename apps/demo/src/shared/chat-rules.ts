/**
 * Input rules the browser checks before sending and the server enforces on arrival. Kept in one
 * place so the dialog can explain exactly what the server would refuse.
 */

export const NICKNAME_MAX_LENGTH = 24;
export const MESSAGE_MAX_LENGTH = 2000;
export const ROOM_NAME_MAX_LENGTH = 32;
/** A socket may sit in this many chat rooms at once; each costs the server a presence broadcast. */
export const MAX_ROOMS_PER_USER = 20;
export const DEFAULT_ROOMS = ["general", "random"] as const;

// Letters, digits, spaces and a little punctuation: enough for real names, nothing that renders oddly.
const NICKNAME_PATTERN = /^[\p{L}\p{N}][\p{L}\p{N} ._-]*$/u;
const COLOR_PATTERN = /^#[0-9a-f]{6}$/i;
const ROOM_PATTERN = /^[a-z0-9][a-z0-9_-]*$/;

/**
 * Returns why `nickname` is malformed, or null when its shape is acceptable. The server applies
 * further policy of its own (see server/nickname-policy.ts) that only it can decide.
 */
export function nicknameProblem(nickname: unknown): string | null {
  if (typeof nickname !== "string") return "a nickname is required";
  const trimmed = nickname.trim();
  if (trimmed.length === 0) return "a nickname is required";
  if (trimmed.length > NICKNAME_MAX_LENGTH) return `at most ${NICKNAME_MAX_LENGTH} characters`;
  if (!NICKNAME_PATTERN.test(trimmed)) return "letters, digits, spaces, '.', '_' and '-' only";
  return null;
}

export function colorProblem(color: unknown): string | null {
  if (typeof color !== "string" || !COLOR_PATTERN.test(color)) return "a colour like #3366ff is required";
  return null;
}

/** Lower-cases and trims a room name; returns null when it cannot be a room name. */
export function normalizeRoomName(name: unknown): string | null {
  if (typeof name !== "string") return null;
  const room = name.trim().toLowerCase();
  if (room.length === 0 || room.length > ROOM_NAME_MAX_LENGTH || !ROOM_PATTERN.test(room)) return null;
  return room;
}

/** Trims a message; returns null when it is empty, too long or not text. */
export function normalizeMessageText(text: unknown): string | null {
  if (typeof text !== "string") return null;
  const trimmed = text.trim();
  if (trimmed.length === 0 || trimmed.length > MESSAGE_MAX_LENGTH) return null;
  return trimmed;
}

/**
 * The form two nicknames share when they would be confused: case and Unicode compatibility forms
 * ignored, so "MobileUser" and "mobileuser" are one name.
 */
export function nicknameKey(nickname: string): string {
  return nickname.trim().normalize("NFKC").toLocaleLowerCase("en");
}

/** The tab's secret key: random, URL-safe, 16-64 characters. */
export function userKeyProblem(key: unknown): string | null {
  if (typeof key !== "string" || !/^[A-Za-z0-9_-]{16,64}$/.test(key)) return "a session key is required (reload the page)";
  return null;
}
