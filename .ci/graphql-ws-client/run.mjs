// CI: `sessionLive` through the real clients, against a running server with the demo data.
//
//   node run.mjs http://127.0.0.1:PORT <INGEST_TOKEN>
//
// Signs in as the demo's super admin, subscribes to session 1 with graphql-ws
// (graphql-transport-ws) and with subscriptions-transport-ws (the legacy protocol),
// records a chat message with the INGEST token, and waits until both subscriptions
// report the new count. Also checks that a token-less connection is refused. Exits
// non-zero (naming the step) on any failure or after 60 s.
import { createClient } from "graphql-ws";
import subscriptionsTransportWs from "subscriptions-transport-ws";
import WebSocket from "ws";

const { SubscriptionClient } = subscriptionsTransportWs;
const [base, ingestToken] = process.argv.slice(2);
if (!base || !ingestToken) {
  console.error("usage: node run.mjs http://127.0.0.1:PORT INGEST_TOKEN");
  process.exit(2);
}
const wsUrl = `${base.replace(/^http/, "ws")}/graphql`;
const LIVE = `subscription Live($id: ID!) {
  sessionLive(sessionId: $id) { sessionId chatMessages concurrentViewers stats { registeredCount } }
}`;
setTimeout(() => fail("timed out after 60 s"), 60_000).unref();

function fail(why) {
  console.error(`graphql-ws client check FAILED: ${why}`);
  process.exit(1);
}

async function graphql(query, variables, token) {
  const response = await fetch(`${base}/graphql`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors) fail(`${query.split("(")[0]}: ${JSON.stringify(body.errors)}`);
  return body.data;
}

const { login } = await graphql(
  `mutation { login(email: "super.admin@example.com", password: "demo-password") { token } }`,
);
const token = login.token;
// A ticket of session 1's event, to say who chatted.
const { session } = await graphql(
  `query { session(id: "1") { registeredHolderUsers(first: 1) { nodes { eventTicketId } } } }`,
  {},
  token,
);
const ticket = session.registeredHolderUsers.nodes[0].eventTicketId;

/** Resolves with the chat counts the subscription reports, through `onCount`. */
function watchModern(onCount) {
  const client = createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    connectionParams: { Authorization: `Bearer ${token}` },
    retryAttempts: 0,
  });
  client.subscribe(
    { query: LIVE, variables: { id: "1" } },
    {
      next: (message) => {
        if (message.errors) fail(`graphql-ws: ${JSON.stringify(message.errors)}`);
        onCount(message.data.sessionLive.chatMessages);
      },
      error: (err) => fail(`graphql-ws: ${err?.reason ?? err?.message ?? JSON.stringify(err)}`),
      complete: () => {},
    },
  );
  return client;
}

function watchLegacy(onCount) {
  const client = new SubscriptionClient(
    wsUrl,
    { connectionParams: { authToken: token }, reconnect: false },
    WebSocket,
  );
  client.request({ query: LIVE, variables: { id: "1" } }).subscribe({
    next: (message) => {
      if (message.errors) fail(`subscriptions-transport-ws: ${JSON.stringify(message.errors)}`);
      onCount(message.data.sessionLive.chatMessages);
    },
    error: (err) => fail(`subscriptions-transport-ws: ${JSON.stringify(err)}`),
  });
  return client;
}

function counter(name) {
  const seen = [];
  let waiter = null;
  return {
    name,
    seen,
    push(count) {
      seen.push(count);
      if (waiter && waiter.test(count)) {
        waiter.resolve(count);
        waiter = null;
      }
    },
    until(test) {
      const hit = seen.find(test);
      if (hit !== undefined) return Promise.resolve(hit);
      return new Promise((resolve) => {
        waiter = { test, resolve };
      });
    },
  };
}

const modern = counter("graphql-ws");
const legacy = counter("subscriptions-transport-ws");
const modernClient = watchModern((n) => modern.push(n));
const legacyClient = watchLegacy((n) => legacy.push(n));
const first = await modern.until(() => true);
await legacy.until(() => true);
console.log(`both clients got session 1's figures at once: ${first} chat messages`);

await graphql(
  `mutation Record($events: [ActivityInput!]!) { recordActivity(events: $events) { recorded } }`,
  {
    events: [
      {
        id: `ci-graphql-ws-${Date.now()}`,
        type: "CHAT_MESSAGE",
        sessionId: "1",
        eventTicketId: ticket,
        occurredAt: new Date().toISOString(),
      },
    ],
  },
  ingestToken,
);
for (const c of [modern, legacy]) {
  const got = await c.until((n) => n === first + 1);
  console.log(`${c.name}: the new count ${got} arrived (messages: ${c.seen.join(", ")})`);
}

// Without a token the connection is refused with 4403.
await new Promise((resolve) => {
  const refused = createClient({ url: wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, lazy: false,
    onNonLazyError: () => {} });
  refused.on("closed", (event) => {
    if (event.code !== 4403) fail(`a token-less connection closed with ${event.code}, not 4403`);
    console.log(`a token-less connection was closed with 4403: ${event.reason}`);
    resolve();
  });
});

await modernClient.dispose();
legacyClient.close();
console.log("graphql-ws client check passed");
process.exit(0);
