import type { IncomingMessage, ServerResponse } from "node:http";
import corsMiddleware from "cors";
import { ErrorCode } from "@roomcast/protocol";
import { checkCorsObject, type CorsOptions, type CorsSetting, type CorsStaticOrigin } from "../server/cors-options.js";
import type { Logger, ServerOptions } from "../server/server-options.js";

/**
 * Answers `done(headers)` with the Access-Control-* headers the response must carry, or
 * `done(undefined)` once the request has been answered (a preflight, or 403 for a refused origin).
 */
export type CorsDone = (headers: Record<string, string> | undefined) => void;

/** The body of a refusal, as for a refused WebSocket upgrade. */
const REFUSED_BODY = JSON.stringify({ code: ErrorCode.ORIGIN_REJECTED, message: "origin not allowed" });

/** What the `cors` package needs of a response, keeping the headers instead of writing them. */
class HeaderRecorder {
  readonly headers: Record<string, string> = {};
  statusCode = 200;

  constructor(private readonly onEnd: (recorder: HeaderRecorder) => void) {}

  setHeader(name: string, value: string | number | readonly string[]): void {
    this.headers[name] = Array.isArray(value) ? value.join(", ") : String(value);
  }

  getHeader(name: string): string | undefined {
    return this.headers[name];
  }

  end(): void {
    this.onEnd(this);
  }
}

/** Whether `origin` (present) is one that `allowed` lets in, by the `cors` package's rules. */
function matches(origin: string, allowed: CorsStaticOrigin): boolean {
  if (Array.isArray(allowed)) return allowed.some((entry) => matches(origin, entry));
  if (typeof allowed === "string") return allowed === "*" || allowed === origin;
  if (allowed instanceof RegExp) {
    // a /g or /y pattern keeps its position between calls; every request starts from 0
    allowed.lastIndex = 0;
    return allowed.test(origin);
  }
  return allowed;
}

/**
 * The server's one origin check, with Socket.IO's `cors` semantics (the `cors` package, which
 * Socket.IO uses): WebSocket upgrades ask `checkOrigin`, HTTP long-polling requests go through
 * `handle`, which also answers preflight requests and computes the CORS headers with the `cors`
 * package itself. Each request runs the app's origin function or delegate once.
 *
 * A request without `Origin` is not from a browser (browsers always send it cross-origin and on
 * WebSocket upgrades): a static `origin` lets it in, an origin function decides for it too,
 * unless `requireOrigin` refuses it first.
 */
export class CorsPolicy {
  constructor(
    /** The resolved `cors` option; undefined: every origin, no headers. */
    private readonly setting: CorsSetting | undefined,
    private readonly logger: Logger,
    /** Option `requireOrigin`: a request without `Origin` is refused before anything else runs. */
    private readonly requireOrigin = false,
  ) {}

  /** False when the server has no `cors` (nor `allowedOrigins`): every origin passes, no headers are sent. */
  get enabled(): boolean {
    return this.setting !== undefined;
  }

  /** Calls back once with whether `req`'s `Origin` may connect. Never throws. */
  checkOrigin(req: IncomingMessage, done: (allowed: boolean) => void): void {
    this.decide(req, (options) => done(options !== undefined));
  }

  /**
   * CORS for an HTTP request of the Socket.IO endpoint (long-polling). Without `cors`, calls
   * `done({})` at once, whatever the method (Socket.IO's default: no CORS headers). With it:
   * - refused origin: answers 403 `{code: "ERR_ORIGIN_REJECTED"}` (also for a preflight), then `done(undefined)`;
   * - preflight (OPTIONS): answers `optionsSuccessStatus` (default 204) with the Access-Control-*
   *   headers, then `done(undefined)`;
   * - otherwise: `done(headers)`, the headers (Access-Control-Allow-Origin, -Credentials,
   *   -Expose-Headers, Vary) to add to the response the caller writes.
   * Bound: can be passed around as a function.
   */
  readonly handle = (req: IncomingMessage, res: ServerResponse, done: CorsDone): void => {
    if (this.setting === undefined) {
      done({});
      return;
    }
    this.decide(req, (options) => {
      if (options === undefined) {
        if (!res.headersSent) {
          res.writeHead(403, { "Content-Type": "application/json", "Content-Length": String(Buffer.byteLength(REFUSED_BODY)) });
        }
        res.end(REFUSED_BODY);
        done(undefined);
        return;
      }
      const recorder = new HeaderRecorder((answered) => {
        // the cors package answered a preflight itself
        if (!res.headersSent) res.writeHead(answered.statusCode, answered.headers);
        res.end();
        done(undefined);
      });
      corsMiddleware(options)(req, recorder, () => done(recorder.headers));
    });
  };

  /**
   * Runs the delegate and the origin function (each at most once) and calls back with the
   * options for the `cors` package, `origin` made static, or undefined when the origin is refused.
   */
  private decide(req: IncomingMessage, done: (options: CorsOptions | undefined) => void): void {
    const setting = this.setting;
    if (setting === undefined) {
      done({});
      return;
    }
    if (this.requireOrigin && req.headers.origin === undefined) {
      done(undefined);
      return;
    }
    let answered = false;
    const answer = (options: CorsOptions | undefined): void => {
      if (answered) return;
      answered = true;
      done(options);
    };
    if (typeof setting !== "function") {
      this.withOrigin(req, setting, answer);
      return;
    }
    this.callApp("cors", answer, () =>
      setting(req, (err, options) => {
        if (err) return answer(undefined);
        try {
          checkCorsObject(options ?? {}, "cors (from the delegate)");
        } catch (invalid) {
          this.logger.error("the cors delegate answered invalid options; the request is refused", invalid);
          return answer(undefined);
        }
        this.withOrigin(req, options ?? {}, answer);
      }),
    );
  }

  private withOrigin(req: IncomingMessage, options: CorsOptions, answer: (options: CorsOptions | undefined) => void): void {
    const requestOrigin = req.headers.origin;
    const origin = options.origin ?? "*";
    if (typeof origin !== "function") {
      const allowed = requestOrigin === undefined || matches(requestOrigin, origin);
      answer(allowed ? options : undefined);
      return;
    }
    this.callApp("cors.origin", answer, () =>
      origin(requestOrigin, (err, value) => {
        if (err || !value) return answer(undefined);
        const allowed = requestOrigin === undefined || matches(requestOrigin, value);
        answer(allowed ? { ...options, origin: value } : undefined);
      }),
    );
  }

  /** Runs an app function; one that throws refuses the request (and is logged: it is a bug). */
  private callApp(name: string, answer: (options: CorsOptions | undefined) => void, run: () => void): void {
    try {
      run();
    } catch (err) {
      this.logger.error(`the ${name} function threw; the request is refused`, err);
      answer(undefined);
    }
  }
}

/** What `applyCors` hands back: `answered` when the request needs nothing more, else the headers to add. */
export interface CorsResult {
  answered: boolean;
  headers: Record<string, string>;
}

/**
 * `CorsPolicy#handle` as one call, for an HTTP request of the Socket.IO endpoint: `done` gets
 * `{ answered: true }` once a preflight or a refused origin (403 ERR_ORIGIN_REJECTED) has been
 * answered, otherwise `{ answered: false, headers }` with the CORS headers for the response.
 * Same decision as the WebSocket upgrade's origin check (UpgradeGuard), from the same options.
 */
export function applyCors(
  options: Pick<ServerOptions, "cors" | "logger" | "requireOrigin">,
  req: IncomingMessage,
  res: ServerResponse,
  done: (result: CorsResult) => void,
): void {
  new CorsPolicy(options.cors, options.logger, options.requireOrigin).handle(req, res, (headers) => {
    done(headers === undefined ? { answered: true, headers: {} } : { answered: false, headers });
  });
}
