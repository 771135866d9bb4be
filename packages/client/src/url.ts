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

/**
 * Resolves `io(url)`'s url. As in Socket.IO, the URL path names the namespace and the `path`
 * option names the server endpoint: `io("https://host/admin", { path: "/rc" })` joins namespace
 * "/admin" through `wss://host/rc`. A relative or absent url needs a browser `location`
 * (without one, `new URL` throws its TypeError).
 */
export function parseUrl(
  uri: string | undefined,
  path: string,
  loc: LocationLike | undefined = (globalThis as { location?: LocationLike }).location,
): ParsedUrl {
  const page = loc && `${loc.protocol}//${loc.host}`;
  // "host:port" alone is protocol-relative, like "//host:port"
  if (uri && uri[0] !== "/" && !SCHEME.test(uri)) uri = "//" + uri;
  // protocol-relative: the page's protocol, https outside a browser (as Socket.IO does)
  if (uri?.startsWith("//")) uri = (loc?.protocol ?? "https:") + uri;
  const url = new URL(uri ?? page ?? "", page);
  const protocol = url.protocol.replace("http", "ws");
  if (protocol !== "ws:" && protocol !== "wss:") throw new TypeError(`roomcast: unsupported protocol ${url.protocol}`);
  const id = `${protocol}//${url.host}${path[0] === "/" ? "" : "/"}${path}`;
  return { href: id + url.search, nsp: url.pathname || "/", id };
}
