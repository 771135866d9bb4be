import { describe, expect, it } from "vitest";
import { HandledEmits, type HandledEmitsOptions } from "../src/index.js";
import { replyFits } from "../src/acks/reply-size.js";

const limits: HandledEmitsOptions = { maxIds: 3, maxAge: 1000, maxRunTime: 400, maxReplyBytes: 64 };

describe("HandledEmits", () => {
  describe("#arrive", () => {
    it("runs an id once: new, then running until answered, then answered with the kept reply", () => {
      const window = new HandledEmits(limits);
      expect(window.arrive(7, 0)).toBe("new");
      expect(window.arrive(7, 1)).toBe("running");
      expect(window.settle(7, ["ok", 1])).toBe("recorded");
      expect(window.arrive(7, 2)).toBe("answered");
      expect(window.replyOf(7)).toEqual(["ok", 1]);
    });

    it("keeps the first answer: a second call of the ack changes nothing", () => {
      const window = new HandledEmits(limits);
      window.arrive(1, 0);
      window.settle(1, ["first"]);
      expect(window.settle(1, ["second"])).toBe("repeated");
      expect(window.replyOf(1)).toEqual(["first"]);
    });

    it("forgets the oldest answered id to make room, never one still running", () => {
      const window = new HandledEmits(limits);
      window.arrive(1, 0);
      window.arrive(2, 0);
      window.settle(2, []);
      window.arrive(3, 0);
      expect(window.arrive(4, 0)).toBe("new");
      expect(window.size).toBe(3);
      // 2 was the only answered one
      expect(window.arrive(2, 0)).toBe("full");
      expect(window.arrive(1, 0)).toBe("running");
    });

    it("refuses a new id while maxIds runs have not answered", () => {
      const window = new HandledEmits(limits);
      for (const id of [1, 2, 3]) window.arrive(id, 0);
      expect(window.arrive(4, 0)).toBe("full");
      window.settle(1, []);
      expect(window.arrive(4, 0)).toBe("new");
    });

    it("keeps its bounds behind a run that never answers", () => {
      const window = new HandledEmits(limits);
      window.arrive(0, 0);
      for (let id = 1; id <= 5000; id++) {
        expect(window.arrive(id, 1)).toBe("new");
        window.settle(id, [id]);
        expect(window.size).toBeLessThanOrEqual(3);
      }
      expect(window.arrive(0, 2)).toBe("running");
      expect(window.arrive(5000, 2)).toBe("answered");
      expect(window.arrive(4999, 2)).toBe("answered");
      expect(window.record(2).map((entry) => entry.id)).toEqual([0, 4999, 5000]);
    });

    it("forgets ids maxAge ms after they arrived, running or not", () => {
      const window = new HandledEmits(limits);
      window.arrive(1, 0);
      window.arrive(2, 500);
      window.settle(2, ["x"]);
      expect(window.arrive(1, 999)).toBe("running");
      expect(window.arrive(1, 1000)).toBe("new");
      expect(window.arrive(2, 1400)).toBe("answered");
      expect(window.arrive(2, 1500)).toBe("new");
    });
  });

  describe("#settle", () => {
    it("keeps no reply over maxReplyBytes: the id is answered, the reply is not kept", () => {
      const window = new HandledEmits(limits);
      window.arrive(1, 0);
      expect(window.settle(1, ["x".repeat(100)])).toBe("recorded");
      expect(window.arrive(1, 1)).toBe("unkept");
      expect(window.replyOf(1)).toBeUndefined();
    });
  });

  describe("#settle of an id it does not remember", () => {
    it("says so, so the answer still goes to a connected client but is not kept", () => {
      const window = new HandledEmits(limits);
      expect(window.settle(9, ["late"])).toBe("unknown");
      expect(window.size).toBe(0);
    });
  });

  describe("#giveUpOverdue", () => {
    it("forgets runs that have gone maxRunTime without answering, oldest first, and leaves answered ids alone", () => {
      const window = new HandledEmits({ ...limits, maxIds: 5 });
      window.arrive(1, 0);
      window.arrive(2, 100);
      window.settle(2, ["kept"]);
      window.arrive(3, 200);
      window.arrive(4, 300);
      expect(window.pending).toBe(3);
      expect(window.giveUpOverdue(399)).toEqual([]);
      expect(window.giveUpOverdue(600)).toEqual([1, 3]);
      expect(window.pending).toBe(1);
      expect(window.arrive(1, 600)).toBe("new");
      expect(window.arrive(2, 600)).toBe("answered");
      expect(window.arrive(4, 600)).toBe("running");
      expect(window.giveUpOverdue(600)).toEqual([]);
    });

    it("makes room for new ids: a socket whose handlers never answer is not refused for maxAge", () => {
      const window = new HandledEmits(limits);
      for (const id of [1, 2, 3]) window.arrive(id, 0);
      expect(window.arrive(4, 10)).toBe("full");
      expect(window.giveUpOverdue(400)).toEqual([1, 2, 3]);
      expect(window.arrive(4, 400)).toBe("new");
    });
  });

  describe("#forget", () => {
    it("drops a run that never reached its handler, so its resend runs", () => {
      const window = new HandledEmits(limits);
      window.arrive(1, 0);
      window.forget(1);
      expect(window.arrive(1, 1)).toBe("new");
    });

    it("leaves an answered id alone", () => {
      const window = new HandledEmits(limits);
      window.arrive(1, 0);
      window.settle(1, []);
      window.forget(1);
      expect(window.arrive(1, 1)).toBe("answered");
    });
  });

  describe("records", () => {
    it("round-trips through a session record, running entries included", () => {
      const window = new HandledEmits(limits);
      window.arrive(1, 100);
      window.arrive(2, 200);
      window.settle(2, [{ ok: true }]);
      window.arrive(3, 300);
      window.settle(3, ["y".repeat(100)]);
      const record = window.record(400);
      expect(record).toEqual([
        { id: 1, at: 100 },
        { id: 2, at: 200, reply: [{ ok: true }] },
        { id: 3, at: 300, reply: null },
      ]);
      const restored = HandledEmits.from(JSON.parse(JSON.stringify(record)), limits, 500);
      expect(restored.arrive(1, 500)).toBe("running");
      expect(restored.arrive(2, 500)).toBe("answered");
      expect(restored.replyOf(2)).toEqual([{ ok: true }]);
      expect(restored.arrive(3, 500)).toBe("unkept");
      // the running entry still counts against maxIds
      expect(restored.arrive(4, 500)).toBe("new");
      expect(restored.size).toBe(3);
    });

    it("leaves out entries past maxAge when restored", () => {
      const restored = HandledEmits.from([{ id: 1, at: 0, reply: [] }, { id: 2, at: 900, reply: [] }], limits, 1000);
      expect(restored.size).toBe(1);
      expect(restored.arrive(1, 1000)).toBe("new");
    });
  });
});

describe("replyFits", () => {
  it("estimates about the JSON length", () => {
    const reply = [{ ok: true, id: "abc" }];
    const json = JSON.stringify(reply).length;
    expect(replyFits(reply, json + 8)).toBe(true);
    expect(replyFits(reply, json - 10)).toBe(false);
  });

  it("counts bytes by their length", () => {
    expect(replyFits([new Uint8Array(100)], 120)).toBe(true);
    expect(replyFits([new Uint8Array(100)], 90)).toBe(false);
  });

  it("stops on a cyclic or huge value instead of walking it", () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(replyFits([cyclic], 1000)).toBe(false);
    expect(replyFits([new Array(1e6).fill(0)], 1000)).toBe(false);
  });
});
