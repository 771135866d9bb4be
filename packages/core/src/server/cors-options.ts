import type { IncomingMessage } from "node:http";
import { integer, isPlainObject, objectOf, optionTypeError, stringOrStrings, type OptionCheck } from "./option-checks.js";

/**
 * A fixed answer to "which origins may connect": `true` any (the request's origin is reflected),
 * `"*"` any (answered with `*`), a string that one origin, a RegExp the origins it matches,
 * `false` none; an array allows an origin that any entry allows. The shape of the `cors`
 * package's `origin`, which Socket.IO passes its `cors` option to.
 */
export type CorsStaticOrigin = boolean | string | RegExp | (boolean | string | RegExp)[];

/**
 * Decides per request: called with the request's `Origin` (undefined when it has none) and
 * answers `callback(null, allowed)`; an error refuses the origin.
 */
export type CorsOriginFunction = (origin: string | undefined, callback: (err: Error | null, origin?: CorsStaticOrigin) => void) => void;

/**
 * Server option `cors`: Socket.IO's (which hands it to the `cors` package), and the same fields.
 * roomcast checks the `Origin` of WebSocket upgrades with it too (refused: 403 ERR_ORIGIN_REJECTED).
 */
export interface CorsOptions {
  /** Which origins may connect. Default `"*"`: every origin. */
  origin?: CorsStaticOrigin | CorsOriginFunction;
  /** `Access-Control-Allow-Methods` of preflight answers. Default "GET,HEAD,PUT,PATCH,POST,DELETE". */
  methods?: string | string[];
  /** `Access-Control-Allow-Headers`; unset, the preflight's `Access-Control-Request-Headers` is reflected. */
  allowedHeaders?: string | string[];
  /** `Access-Control-Expose-Headers`. */
  exposedHeaders?: string | string[];
  /** Sends `Access-Control-Allow-Credentials: true` (cookies, HTTP auth). */
  credentials?: boolean;
  /** `Access-Control-Max-Age` of preflight answers, in seconds. */
  maxAge?: number;
  /** Only `false`: the Socket.IO endpoint answers preflight requests itself. */
  preflightContinue?: boolean;
  /** Status of a preflight answer. Default 204. */
  optionsSuccessStatus?: number;
}

/** `cors` computed per request, as the `cors` package allows: `callback(null, options)`; an error refuses. */
export type CorsOptionsDelegate = (req: IncomingMessage, callback: (err: Error | null, options?: CorsOptions) => void) => void;

/** Origins allowed to open a connection: exact strings, patterns, or a predicate (roomcast's name for `cors.origin`). */
export type AllowedOrigins = (string | RegExp)[] | ((origin: string | undefined) => boolean);

/** What `resolveOptions` keeps: the options or delegate, or undefined when CORS is off. */
export type CorsSetting = CorsOptions | CorsOptionsDelegate;

const staticOriginEntry = (value: unknown): boolean => typeof value === "boolean" || typeof value === "string" || value instanceof RegExp;

const corsOrigin: OptionCheck = (value, name) => {
  if (typeof value === "function" || staticOriginEntry(value)) return;
  if (Array.isArray(value) && value.every(staticOriginEntry)) return;
  throw optionTypeError(name, "a boolean, a string, a RegExp, an array of strings and RegExps, or a function (origin, callback)", value);
};

const httpStatus: OptionCheck = (value, name) => {
  integer(200, "status")(value, name);
  if ((value as number) > 299) throw optionTypeError(name, "a 2xx HTTP status", value);
};

const onlyFalse: OptionCheck = (value, name) => {
  if (value !== false) {
    throw new TypeError(`option "${name}" must be false: the Socket.IO endpoint answers preflight (OPTIONS) requests itself`);
  }
};

/** Checks a `CorsOptions` object (also what a delegate answers). */
export const checkCorsObject: OptionCheck = objectOf({
  origin: corsOrigin,
  methods: stringOrStrings,
  allowedHeaders: stringOrStrings,
  exposedHeaders: stringOrStrings,
  credentials: (value, name) => {
    if (typeof value !== "boolean") throw optionTypeError(name, "a boolean", value);
  },
  maxAge: integer(0, "seconds"),
  preflightContinue: onlyFalse,
  optionsSuccessStatus: httpStatus,
});

/** Server option `cors`: a boolean, a CorsOptions object, or a delegate `(req, callback)`. */
export const checkCors: OptionCheck = (value, name) => {
  if (typeof value === "boolean" || typeof value === "function") return;
  if (!isPlainObject(value)) throw optionTypeError(name, "a boolean, a CorsOptions object or a function (req, callback)", value);
  checkCorsObject(value, name);
};

/** Server option `allowedOrigins`: an array of strings and RegExps, or a predicate. */
export const checkAllowedOrigins: OptionCheck = (value, name) => {
  if (typeof value === "function") return;
  if (Array.isArray(value) && value.every((entry) => typeof entry === "string" || entry instanceof RegExp)) return;
  throw optionTypeError(name, "an array of strings and RegExps, or a function (origin) => boolean", value);
};

/**
 * The one CORS setting of a server, from `cors` (Socket.IO's) or `allowedOrigins` (roomcast's
 * name for `cors.origin`): `true` is `{}` (every origin), `false` and unset are off.
 */
export function resolveCors(cors: unknown, allowedOrigins: AllowedOrigins | undefined): CorsSetting | undefined {
  if (cors !== undefined && allowedOrigins !== undefined) {
    throw new TypeError('options "cors" and "allowedOrigins" both set the allowed origins: give one (allowedOrigins: X is cors: { origin: X })');
  }
  if (allowedOrigins !== undefined) {
    if (typeof allowedOrigins !== "function") return { origin: allowedOrigins };
    const allowed = allowedOrigins;
    // A predicate answers at once; the cors form answers through a callback.
    return { origin: (origin, callback) => callback(null, allowed(origin)) };
  }
  if (cors === undefined || cors === false) return undefined;
  if (cors === true) return {};
  return cors as CorsSetting;
}
