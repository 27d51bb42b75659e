// GraphiQL, served by the server at GET /graphql for browsers (outside production),
// with every script and style from this bundle: no CDN. Queries and mutations go over
// HTTP, subscriptions over a WebSocket at the same path (graphql-transport-ws).
import "graphiql/graphiql.css";
import "./graphiql.css";

import { createGraphiQLFetcher, type Fetcher, type FetcherOpts } from "@graphiql/toolkit";
import { GraphiQL } from "graphiql";
import { setNonce } from "get-nonce";
import { createClient, type Client } from "graphql-ws";
import { createElement } from "react";
import { createRoot } from "react-dom/client";

interface Config {
  endpoint: string;
  defaultQuery?: string;
  /** This response's CSP nonce for the <style> GraphiQL's menus add while open. */
  styleNonce?: string;
}

/** The configuration the server wrote into the page (JSON: no inline script runs). */
function readConfig(): Config {
  const element = document.getElementById("graphiql-config");
  try {
    const parsed = JSON.parse(element?.textContent ?? "{}") as Partial<Config>;
    return {
      endpoint: typeof parsed.endpoint === "string" ? parsed.endpoint : "/graphql",
      defaultQuery: typeof parsed.defaultQuery === "string" ? parsed.defaultQuery : undefined,
      styleNonce: typeof parsed.styleNonce === "string" ? parsed.styleNonce : undefined,
    };
  } catch {
    return { endpoint: "/graphql" };
  }
}

const config = readConfig();
// GraphiQL's dropdown menus lock the page's scrolling with a <style> element they add
// (react-remove-scroll); the policy admits it by this nonce, not by 'unsafe-inline'.
if (config.styleNonce) setNonce(config.styleNonce);
const httpUrl = new URL(config.endpoint, window.location.href);
const wsUrl = new URL(httpUrl.href);
wsUrl.protocol = httpUrl.protocol === "https:" ? "wss:" : "ws:";

/** The `Authorization` value of the Headers tab, whatever its case. */
function authorization(headers: FetcherOpts["headers"]): string | undefined {
  if (!headers || typeof headers !== "object") return undefined;
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() === "authorization" && typeof value === "string") return value;
  }
  return undefined;
}

// A browser cannot set headers on a WebSocket, so the token travels in
// `connection_init`'s payload. The socket is opened with the Authorization of the
// Headers tab when the first subscription runs, and opened anew when it changes.
let current: { auth: string | undefined; client: Client; fetcher: Fetcher } | undefined;

function fetcherFor(auth: string | undefined): Fetcher {
  if (current && current.auth === auth) return current.fetcher;
  void current?.client.dispose();
  const client = createClient({
    url: wsUrl.href,
    connectionParams: auth ? { Authorization: auth } : {},
    lazy: true,
    retryAttempts: 0,
  });
  const fetcher = createGraphiQLFetcher({
    url: httpUrl.href,
    subscriptionUrl: wsUrl.href,
    wsClient: client,
  });
  current = { auth, client, fetcher };
  return fetcher;
}

const fetcher: Fetcher = (params, opts) => fetcherFor(authorization(opts?.headers))(params, opts);

const root = document.getElementById("graphiql");
if (root) {
  root.textContent = "";
  createRoot(root).render(
    createElement(GraphiQL, {
      fetcher,
      defaultQuery: config.defaultQuery,
      defaultEditorToolsVisibility: "headers",
      isHeadersEditorEnabled: true,
      // The token in the Headers tab is not written to localStorage.
      shouldPersistHeaders: false,
    }),
  );
}
