/** Where a client connects: the WebSocket endpoint URL, the namespace, and the manager cache key. */
export interface ParsedUrl {
  /** `ws(s)://host[:port]<path>?<query from the url>` */
  href: string;
  /** Namespace, from the URL path ("/" when empty). */
  nsp: string;
  /** Cache key of the manager: origin + endpoint path. */
  id: string;
}

/** The part of `window.location` the parser needs. */
export interface LocationLike {
  protocol: string;
  host: string;
}

const SCHEME = /^[a-z][a-z\d+.-]*:\/\//i;
const WS_PROTOCOL: Record<string, string> = { "http:": "ws:", "https:": "wss:", "ws:": "ws:", "wss:": "wss:" };

/**
 * Resolves `io(url)`'s url. As in Socket.IO, the URL path names the namespace and the `path`
 * option names the server endpoint: `io("https://host/admin", { path: "/rc" })` joins namespace
 * "/admin" through `wss://host/rc`. A relative or absent url needs a browser `location`.
 */
export function parseUrl(
  uri: string | undefined,
  path: string,
  loc: LocationLike | undefined = (globalThis as { location?: LocationLike }).location,
): ParsedUrl {
  let absolute = uri ?? (loc ? `${loc.protocol}//${loc.host}` : undefined);
  if (absolute === undefined) throw new TypeError("roomcast: a url is required outside the browser");
  if (absolute.startsWith("//")) {
    absolute = (loc?.protocol ?? "https:") + absolute;
  } else if (absolute.startsWith("/")) {
    if (!loc) throw new TypeError(`roomcast: relative url "${absolute}" needs a browser location`);
    absolute = `${loc.protocol}//${loc.host}${absolute}`;
  } else if (!SCHEME.test(absolute)) {
    // "host:port" alone: same protocol as the page, https outside a browser (as Socket.IO does)
    absolute = `${loc?.protocol ?? "https:"}//${absolute}`;
  }
  const url = new URL(absolute);
  const protocol = WS_PROTOCOL[url.protocol];
  if (!protocol) throw new TypeError(`roomcast: unsupported protocol "${url.protocol}"`);
  const endpoint = path.startsWith("/") ? path : `/${path}`;
  const id = `${protocol}//${url.host}${endpoint}`;
  return { href: id + url.search, nsp: url.pathname || "/", id };
}
