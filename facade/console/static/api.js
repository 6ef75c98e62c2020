// The console's one way to the CRM: GraphQL, over HTTP and over a WebSocket
// (graphql-transport-ws), signed in by the session cookie.

/** An error the API answered: the codes of its GraphQL errors, and the errors themselves
 * (each `{message, extensions: {code, field}}`), so a form shows each by its field. */
export class ApiError extends Error {
  constructor(message, codes, errors = []) {
    super(message);
    this.codes = codes;
    this.errors = errors;
  }
}

/** Run a document; its `data`, or an ApiError. A session that ended sends the page back
 * to the sign-in form. */
export async function graphql(query, variables = {}) {
  const response = await fetch("/graphql", {
    method: "POST",
    credentials: "same-origin",
    // The header proves the request comes from the console (see facade/auth/session.py).
    headers: { "Content-Type": "application/json", "X-CRM-Console": "1" },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  const errors = body.errors || [];
  if (errors.length) {
    const codes = errors.map((error) => (error.extensions || {}).code);
    if (!body.data && codes.includes("FORBIDDEN") && !(await signedIn())) {
      window.location.assign("/");
    }
    throw new ApiError(errors.map((error) => error.message).join("; "), codes, errors);
  }
  return body.data;
}

/** Whether the session still signs this page in. */
export async function signedIn() {
  try {
    const probe = await fetch("/graphql", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CRM-Console": "1" },
      body: JSON.stringify({ query: "{ me { id } }" }),
    });
    const body = await probe.json();
    return Boolean(body.data && body.data.me);
  } catch {
    return true; // the network is down: stay, the page will retry
  }
}

/** End the session, then show the sign-in form. */
export async function signOut() {
  await fetch("/session/sign-out", {
    method: "POST",
    credentials: "same-origin",
    headers: { "X-CRM-Console": "1" },
  });
  window.location.assign("/");
}

const PING_EVERY_MS = 20000;
const PONG_WITHIN_MS = 8000;
const MAX_BACKOFF_MS = 30000;

/**
 * One subscription that stays up by itself: on a dropped connection (or a laptop waking up,
 * or the network coming back) it connects again, waiting longer each time it fails, and calls
 * `onConnected` at every (re)connection, so the page reloads what it may have missed.
 */
export class LiveSubscription {
  constructor(query, variables, { onEvent, onConnected, onState }) {
    this.query = query;
    this.variables = variables;
    this.onEvent = onEvent;
    this.onConnected = onConnected;
    this.onState = onState || (() => {});
    this.failures = 0;
    this.stopped = false;
    this.socket = null;
    this.timers = [];
    this.retryNow = () => this.reconnect();
    this.onVisible = () => {
      if (document.visibilityState === "visible") this.check();
    };
    window.addEventListener("online", this.retryNow);
    document.addEventListener("visibilitychange", this.onVisible);
  }

  start() {
    this.connect();
  }

  stop() {
    this.stopped = true;
    window.removeEventListener("online", this.retryNow);
    document.removeEventListener("visibilitychange", this.onVisible);
    this.clearTimers();
    if (this.socket) this.socket.close(1000, "signed out");
  }

  clearTimers() {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers = [];
  }

  connect() {
    if (this.stopped) return;
    this.clearTimers();
    const url = new URL("/graphql", window.location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(url, "graphql-transport-ws");
    this.socket = socket;
    this.onState("connecting");
    socket.addEventListener("open", () => {
      socket.send(JSON.stringify({ type: "connection_init", payload: {} }));
    });
    socket.addEventListener("message", (message) => this.receive(socket, message));
    socket.addEventListener("close", async (event) => {
      if (this.socket !== socket) return; // an older socket, already replaced
      this.socket = null;
      this.onState("offline");
      // 4403: the credentials no longer hold; an ended session goes back to the sign-in form.
      if (event.code === 4403 && !(await signedIn())) {
        this.stop();
        window.location.assign("/");
        return;
      }
      this.later();
    });
  }

  receive(socket, message) {
    let data;
    try {
      data = JSON.parse(message.data);
    } catch {
      return;
    }
    if (data.type === "connection_ack") {
      this.failures = 0;
      socket.send(
        JSON.stringify({
          id: "live",
          type: "subscribe",
          payload: { query: this.query, variables: this.variables },
        }),
      );
      this.onState("live");
      this.heartbeat(socket);
      this.onConnected();
    } else if (data.type === "next" && data.payload && data.payload.data) {
      this.onEvent(data.payload.data);
    } else if (data.type === "ping") {
      socket.send(JSON.stringify({ type: "pong" }));
    } else if (data.type === "pong") {
      this.alive = true;
    } else if (data.type === "error" || data.type === "complete") {
      socket.close(4000, "subscription ended");
    }
  }

  /** Ping now and then; a socket that does not answer is dead (a laptop that slept). */
  heartbeat(socket) {
    this.timers.push(
      setTimeout(() => {
        if (this.socket !== socket) return;
        this.alive = false;
        socket.send(JSON.stringify({ type: "ping" }));
        this.timers.push(
          setTimeout(() => {
            if (this.socket === socket && !this.alive) this.reconnect();
            else if (this.socket === socket) this.heartbeat(socket);
          }, PONG_WITHIN_MS),
        );
      }, PING_EVERY_MS),
    );
  }

  /** Back from sleep or hidden: make sure the socket is really there. */
  check() {
    if (!this.socket || this.socket.readyState !== WebSocket.OPEN) this.reconnect();
    else this.heartbeat(this.socket);
  }

  reconnect() {
    if (this.stopped) return;
    const old = this.socket;
    this.socket = null;
    if (old) old.close(4000, "reconnecting");
    this.failures = 0;
    this.connect();
  }

  later() {
    if (this.stopped) return;
    this.failures += 1;
    const ceiling = Math.min(MAX_BACKOFF_MS, 500 * 2 ** Math.min(this.failures, 10));
    const wait = ceiling / 2 + Math.random() * (ceiling / 2); // jitter: not all at once
    this.timers.push(setTimeout(() => this.connect(), wait));
  }
}
