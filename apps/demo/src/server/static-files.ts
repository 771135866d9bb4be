import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { extname, join, normalize, sep } from "node:path";

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json; charset=utf-8",
};

/**
 * Serves the built browser app from `root`. Vite puts a content hash in every asset name, so assets are cached forever and only
 * index.html is revalidated.
 */
export function createStaticHandler(root: string) {
  const rootWithSep = root.endsWith(sep) ? root : root + sep;

  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    const pathname = decodePath(req.url ?? "/");
    const file = pathname === null ? null : normalize(join(rootWithSep, pathname.endsWith("/") ? `${pathname}index.html` : pathname));
    // A path that normalizes outside the root is a traversal attempt: answer as if it did not exist.
    if (file === null || !file.startsWith(rootWithSep)) {
      res.writeHead(404).end();
      return;
    }
    try {
      const info = await stat(file);
      if (!info.isFile()) throw new Error("not a file");
      const isIndex = file.endsWith("index.html");
      res.writeHead(200, {
        "content-type": CONTENT_TYPES[extname(file)] ?? "application/octet-stream",
        "content-length": info.size,
        "cache-control": isIndex ? "no-cache" : "public, max-age=31536000, immutable",
      });
      if (req.method === "HEAD") {
        res.end();
        return;
      }
      const stream = createReadStream(file);
      stream.on("error", () => res.destroy());
      stream.pipe(res);
    } catch {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
    }
  };
}

function decodePath(url: string): string | null {
  try {
    return decodeURIComponent(new URL(url, "http://localhost").pathname);
  } catch {
    return null;
  }
}
