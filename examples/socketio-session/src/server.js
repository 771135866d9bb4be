import { randomBytes, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import express from "express";
import session from "express-session";
import passport from "passport";
import { Strategy as LocalStrategy } from "passport-local";
import { Server } from "socket.io";

const publicDir = fileURLToPath(new URL("../public/", import.meta.url));
// The browser bundle ships inside the socket.io-client package; express serves it as a plain file.
const clientBundleDir = join(dirname(createRequire(import.meta.url).resolve("socket.io-client/package.json")), "dist");

// One account kept in memory: enough to show the flow, nothing to set up. A real app looks users
// up in its database and stores password hashes, never passwords.
const USERS = [{ id: "1", username: "alice", password: "wonderland", displayName: "Alice" }];

function sameText(a, b) {
  const left = Buffer.from(String(a));
  const right = Buffer.from(String(b));
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * Runs an HTTP middleware on a connection's handshake request only. Every later request of the
 * same Engine.IO connection (a long-polling round trip, the upgrade to WebSocket) names the
 * connection in its `sid` query parameter, and `socket.request` stays the handshake request.
 */
function onlyForHandshake(middleware) {
  return (req, res, next) => {
    const isHandshake = !new URL(req.url, "http://localhost").searchParams.has("sid");
    if (isHandshake) middleware(req, res, next);
    else next();
  };
}

/**
 * Starts the app: Express serves the page and the login form, Passport keeps the signed-in user
 * in the express-session, and Socket.IO reads both from the handshake request.
 *
 * @param {object} [options]
 * @param {number} [options.port] 0 picks a free port
 * @param {string} [options.host]
 * @param {string} [options.sessionSecret] signs the session cookie; random (sessions end with the process) when omitted
 * @returns {Promise<{ url: string, close: () => Promise<void> }>}
 */
export async function start({ port = 3000, host = "127.0.0.1", sessionSecret = randomBytes(32).toString("hex") } = {}) {
  // An instance of its own rather than the module's singleton: two apps in one process stay apart.
  const auth = new passport.Passport();
  auth.use(
    new LocalStrategy((username, password, done) => {
      const user = USERS.find((candidate) => candidate.username === username);
      if (!user || !sameText(user.password, password)) return done(null, false);
      done(null, user);
    }),
  );
  // The session holds the user's id only; each request looks the user up again.
  auth.serializeUser((user, done) => done(null, user.id));
  auth.deserializeUser((id, done) => {
    const user = USERS.find((candidate) => candidate.id === id);
    done(null, user ? { id: user.id, username: user.username, displayName: user.displayName } : false);
  });

  const sessionMiddleware = session({
    secret: sessionSecret,
    resave: false,
    saveUninitialized: false,
    cookie: { httpOnly: true, sameSite: "lax" },
  });

  const app = express();
  const httpServer = createServer(app);
  const io = new Server(httpServer, { serveClient: false });

  app.use(sessionMiddleware);
  app.use(express.urlencoded({ extended: false }));
  app.use(auth.session());

  app.get("/", (req, res) => {
    // The visits of a signed-in session; the socket reads the count from the same session.
    if (req.user) req.session.views = (req.session.views ?? 0) + 1;
    res.sendFile(join(publicDir, "index.html"));
  });
  app.post("/login", auth.authenticate("local", { successRedirect: "/", failureRedirect: "/?login=failed" }));
  app.post("/logout", (req, res, next) => {
    const sessionId = req.session.id;
    req.logout((err) => {
      if (err) return next(err);
      // The session's open pages lose their sockets along with the login.
      io.to(`session:${sessionId}`).disconnectSockets();
      res.redirect("/");
    });
  });
  app.use(express.static(publicDir, { index: false }));
  app.use("/vendor/socket.io", express.static(clientBundleDir));

  // Socket.IO sees the session and the user through the same middlewares as Express, applied to
  // the handshake request: socket.request.session and socket.request.user.
  io.engine.use(onlyForHandshake(sessionMiddleware));
  io.engine.use(onlyForHandshake(auth.session()));

  io.use((socket, next) => {
    if (socket.request.user) return next();
    const err = new Error("unauthorized");
    err.data = { reason: "sign in first" };
    next(err);
  });

  io.on("connection", (socket) => {
    const { user, session } = socket.request;
    socket.join(`session:${session.id}`);

    socket.emit("hello", {
      name: user.displayName,
      views: session.views ?? 0,
      transport: socket.conn.transport.name,
    });

    // The session may have changed since the handshake (another page view, for one): read it
    // again from the store before answering. reload() puts a fresh object on socket.request.
    socket.on("whoami", (ack) => {
      if (typeof ack !== "function") return;
      socket.request.session.reload((err) => {
        if (err) return ack({ ok: false, error: "session ended" });
        const { views = 0 } = socket.request.session;
        ack({ ok: true, name: user.displayName, views, transport: socket.conn.transport.name });
      });
    });
  });

  await new Promise((resolve, reject) => {
    httpServer.once("error", reject);
    httpServer.listen(port, host, () => {
      httpServer.off("error", reject);
      resolve();
    });
  });
  const address = httpServer.address();
  return {
    url: `http://${host}:${address.port}`,
    // Closes every socket, then the HTTP server.
    close: () => new Promise((resolve) => io.close(() => resolve())),
  };
}
