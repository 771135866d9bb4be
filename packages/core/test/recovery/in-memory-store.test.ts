import { afterEach, describe, expect, it, vi } from "vitest";
import type { EventAtPacket } from "@roomcast/protocol";
import { InMemoryRecoveryStore, type OutgoingPacket, type RecoveryStoreContext } from "../../src/index.js";

const stores: InMemoryRecoveryStore[] = [];
afterEach(() => {
  for (const store of stores.splice(0)) store.close();
  vi.useRealTimers();
});

function storeWith(overrides: Partial<RecoveryStoreContext> = {}): { store: InMemoryRecoveryStore; delivered: OutgoingPacket[] } {
  const delivered: OutgoingPacket[] = [];
  const store = new InMemoryRecoveryStore({
    nsp: "/",
    maxDisconnectionDuration: 60_000,
    maxPackets: 100,
    deliver: (packet) => delivered.push(packet),
    warn: () => {},
    ...overrides,
  });
  stores.push(store);
  return { store, delivered };
}

const positionOf = (packet: OutgoingPacket) => (packet.packet as EventAtPacket).position;
const valuesOf = (packets: OutgoingPacket[] | undefined) => packets?.map((p) => (p.packet as EventAtPacket).data[1]);

describe("InMemoryRecoveryStore", () => {
  it("replays only what targeted the session's rooms, minus except", () => {
    const { store, delivered } = storeWith();
    const start = store.head();
    store.append(["e", 1], { rooms: new Set(["a"]) });
    store.append(["e", 2], { rooms: new Set(["b"]) });
    store.append(["e", 3], { rooms: new Set() });
    store.append(["e", 4], { rooms: new Set(), except: new Set(["a"]) });
    store.append(["e", 5], { rooms: new Set(["a", "b"]), except: new Set(["c"]) });
    expect(delivered).toHaveLength(5);
    expect(valuesOf(store.replay(start, new Set(["sid", "a"])))).toEqual([1, 3, 5]);
    expect(valuesOf(store.replay(positionOf(delivered[2]), new Set(["sid", "b", "c"])))).toEqual([4]);
    expect(valuesOf(store.replay(store.head(), new Set(["a"])))).toEqual([]);
  });

  it("refuses positions it cannot serve in full: trimmed, another epoch, from the future, malformed", () => {
    const { store, delivered } = storeWith({ maxPackets: 3 });
    const start = store.head();
    for (let i = 0; i < 5; i++) store.append(["e", i], { rooms: new Set() });
    expect(store.size).toBe(3);
    expect(store.replay(start, new Set())).toBeUndefined();
    // the newest trimmed packet is still a valid starting point: everything after it is kept
    expect(valuesOf(store.replay(positionOf(delivered[1]), new Set()))).toEqual([2, 3, 4]);
    expect(store.replay(`${store.epoch}x:4`, new Set())).toBeUndefined();
    expect(store.replay(`${store.epoch}:99`, new Set())).toBeUndefined();
    expect(store.replay(`${store.epoch}:1e3`, new Set())).toBeUndefined();
    expect(store.replay("nonsense", new Set())).toBeUndefined();
  });

  it("stays correct across compaction of trimmed slots", () => {
    const { store, delivered } = storeWith({ maxPackets: 10 });
    for (let i = 0; i < 5000; i++) store.append(["e", i], { rooms: new Set() });
    expect(store.size).toBe(10);
    expect(valuesOf(store.replay(positionOf(delivered[4993]), new Set()))).toEqual([4994, 4995, 4996, 4997, 4998, 4999]);
  });

  it("forgets packets and sessions older than maxDisconnectionDuration", () => {
    vi.useFakeTimers();
    const { store } = storeWith({ maxDisconnectionDuration: 1000 });
    const start = store.head();
    store.append(["e", 1], { rooms: new Set() });
    store.persistSession({ pid: "p", sid: "s", rooms: [], data: null }, 1000);
    store.persistSession({ pid: "q", sid: "t", rooms: [], data: null }, 1000);
    expect(store.takeSession("q")).toMatchObject({ sid: "t" });
    expect(store.takeSession("q")).toBeUndefined();
    vi.advanceTimersByTime(1500);
    expect(store.sessionCount).toBe(0);
    expect(store.takeSession("p")).toBeUndefined();
    expect(store.replay(start, new Set())).toBeUndefined();
  });

  it("replaces the handled window of a kept session, and of no other", () => {
    vi.useFakeTimers();
    const { store } = storeWith({ maxDisconnectionDuration: 1000 });
    store.persistSession({ pid: "p", sid: "s", rooms: [], data: null, handled: [{ id: 1, at: 0 }] }, 1000);
    store.updateHandled("p", [{ id: 1, at: 0, reply: ["late"] }]);
    store.updateHandled("gone", [{ id: 2, at: 0, reply: [] }]);
    expect(store.sessionCount).toBe(1);
    expect(store.takeSession("p")).toMatchObject({ sid: "s", handled: [{ id: 1, at: 0, reply: ["late"] }] });
    // once taken, a late reply no longer brings the session back
    store.updateHandled("p", [{ id: 1, at: 0, reply: ["later"] }]);
    expect(store.takeSession("p")).toBeUndefined();
    // nor after it expired, and its expiry is kept
    store.persistSession({ pid: "q", sid: "t", rooms: [], data: null }, 1000);
    vi.advanceTimersByTime(600);
    store.updateHandled("q", []);
    vi.advanceTimersByTime(600);
    expect(store.takeSession("q")).toBeUndefined();
  });
});
