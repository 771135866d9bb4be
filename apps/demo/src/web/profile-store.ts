import type { ChatCredentials } from "../shared/chat-events.js";

const PROFILE = "roomcast-demo-profile";
const KEY = "roomcast-demo-key";
const ROOMS = "roomcast-demo-rooms";
const OPEN_ROOM = "roomcast-demo-open-room";

/*
 * What this tab remembers across reloads: who it is, the rooms it is in and the one it had open.
 * Session storage on purpose: a second tab is a second person, which is how you try the chat on
 * your own, and a person's rooms and open room belong to them, not to every tab of the browser.
 */

export function loadProfile(): ChatCredentials | null {
  const saved = read<Partial<ChatCredentials>>(PROFILE);
  return saved && typeof saved.nickname === "string" && typeof saved.color === "string" ? { nickname: saved.nickname, color: saved.color } : null;
}

export function saveProfile(profile: ChatCredentials): void {
  write(PROFILE, profile);
}

/**
 * The tab's secret: the server derives this person's id from it, so a reload or a fresh session
 * on another node is still the same person (same name, same direct messages).
 */
export function userKey(): string {
  const saved = read<string>(KEY);
  if (typeof saved === "string" && /^[A-Za-z0-9_-]{16,64}$/.test(saved)) return saved;
  const bytes = crypto.getRandomValues(new Uint8Array(18));
  const key = btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_");
  write(KEY, key);
  return key;
}

/** The rooms this tab is in, so a reload comes back to them. */
export function loadRooms(): string[] {
  const saved = read<unknown>(ROOMS);
  return Array.isArray(saved) ? saved.filter((room): room is string => typeof room === "string") : [];
}

export function saveRooms(rooms: string[]): void {
  write(ROOMS, rooms);
}

/** The room that was open last (a direct conversation does not count), so a reload opens it again. */
export function loadOpenRoom(): string | null {
  const saved = read<unknown>(OPEN_ROOM);
  return typeof saved === "string" ? saved : null;
}

export function saveOpenRoom(room: string): void {
  write(OPEN_ROOM, room);
}

function read<T>(name: string): T | null {
  try {
    return JSON.parse(sessionStorage.getItem(name) ?? "null") as T | null;
  } catch {
    return null;
  }
}

function write(name: string, value: unknown): void {
  try {
    sessionStorage.setItem(name, JSON.stringify(value));
  } catch {
    // Storage full or disabled: the tab still works, it just forgets on reload.
  }
}
