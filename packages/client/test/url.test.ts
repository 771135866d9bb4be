import { describe, expect, it } from "vitest";
import { parseUrl } from "../src/url.js";

const page = { protocol: "https:", host: "app.example:8443" };

describe("parseUrl", () => {
  it("maps http to ws and https to wss, keeping ws and wss", () => {
    expect(parseUrl("http://host:3000", "/roomcast", undefined).href).toBe("ws://host:3000/roomcast");
    expect(parseUrl("https://host", "/roomcast", undefined).href).toBe("wss://host/roomcast");
    expect(parseUrl("ws://host:1", "/roomcast", undefined).href).toBe("ws://host:1/roomcast");
    expect(parseUrl("wss://host", "/roomcast", undefined).href).toBe("wss://host/roomcast");
  });

  it("takes the namespace from the URL path and the endpoint from the path option", () => {
    const parsed = parseUrl("http://host:3000/admin?room=a", "/rc", undefined);
    expect(parsed).toEqual({ href: "ws://host:3000/rc?room=a", nsp: "/admin", id: "ws://host:3000/rc" });
    expect(parseUrl("http://host", "rc", undefined).href).toBe("ws://host/rc");
  });

  it("uses the root namespace for an empty path", () => {
    expect(parseUrl("http://host:3000", "/roomcast", undefined).nsp).toBe("/");
    expect(parseUrl("http://host:3000/", "/roomcast", undefined).nsp).toBe("/");
  });

  it("keys managers by origin and endpoint, not namespace or query", () => {
    const a = parseUrl("http://host:3000/a?x=1", "/roomcast", undefined);
    const b = parseUrl("http://host:3000/b", "/roomcast", undefined);
    const c = parseUrl("http://host:3000/b", "/other", undefined);
    expect(a.id).toBe(b.id);
    expect(b.id).not.toBe(c.id);
  });

  it("resolves absent, relative and protocol-relative urls against the page location", () => {
    expect(parseUrl(undefined, "/roomcast", page)).toEqual({
      href: "wss://app.example:8443/roomcast",
      nsp: "/",
      id: "wss://app.example:8443/roomcast",
    });
    expect(parseUrl("/chat", "/roomcast", page).href).toBe("wss://app.example:8443/roomcast");
    expect(parseUrl("/chat", "/roomcast", page).nsp).toBe("/chat");
    expect(parseUrl("//other.example/x", "/roomcast", page).href).toBe("wss://other.example/roomcast");
    expect(parseUrl("localhost:3000", "/roomcast", { protocol: "http:", host: "h" }).href).toBe("ws://localhost:3000/roomcast");
  });

  it("rejects what it cannot resolve", () => {
    expect(() => parseUrl(undefined, "/roomcast", undefined)).toThrow(TypeError);
    expect(() => parseUrl("/chat", "/roomcast", undefined)).toThrow(TypeError);
    expect(() => parseUrl("ftp://host", "/roomcast", undefined)).toThrow(/unsupported protocol/);
  });
});
