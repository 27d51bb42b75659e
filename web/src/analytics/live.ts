// A session's live figures over the `sessionLive` subscription: a WebSocket at
// /graphql speaking graphql-transport-ws, the token in `connection_init`'s payload
// (a browser cannot set headers on a WebSocket).
import { createClient, type Client } from "graphql-ws";
import { useEffect, useState } from "preact/hooks";

import { ApiError } from "./api";
import { SESSION_LIVE, type SessionLive } from "./queries";

export type LiveState =
  | { status: "connecting" }
  | { status: "live"; figures: SessionLive; receivedAt: number }
  | { status: "unavailable"; reason: string }
  | { status: "ended"; reason: string };

function socketUrl(): string {
  const url = new URL("/graphql", window.location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.href;
}

interface LiveError {
  message?: string;
  extensions?: { code?: string };
}

/** Close codes after which trying again cannot help (the server refused us). */
const FINAL_CLOSE_CODES = new Set([4400, 4401, 4403, 4429, 4500]);

export function useSessionLive(
  sessionId: string,
  token: string,
  attempt: number,
  onSignedOut: (error: ApiError) => void,
): LiveState {
  const [state, setState] = useState<LiveState>({ status: "connecting" });

  useEffect(() => {
    let stopped = false;
    setState({ status: "connecting" });
    const client: Client = createClient({
      url: socketUrl(),
      connectionParams: { Authorization: `Bearer ${token}` },
      lazy: true,
      retryAttempts: 2,
      shouldRetry: (event) => {
        const code = (event as CloseEvent | undefined)?.code;
        return !(code && FINAL_CLOSE_CODES.has(code));
      },
    });
    const unsubscribe = client.subscribe<{ sessionLive: SessionLive }>(
      { query: SESSION_LIVE, variables: { sessionId }, operationName: "SessionLive" },
      {
        next: (result) => {
          if (stopped) return;
          const figures = result.data?.sessionLive;
          if (figures) {
            setState({ status: "live", figures, receivedAt: Date.now() });
          } else if (result.errors?.length) {
            fail(result.errors[0] as LiveError);
          }
        },
        error: (error: unknown) => {
          if (stopped) return;
          if (Array.isArray(error)) {
            fail(error[0] as LiveError);
          } else if (error && typeof error === "object" && "code" in error) {
            const close = error as CloseEvent;
            if (close.code === 4401) {
              onSignedOut(new ApiError("UNAUTHENTICATED", "The sign-in expired."));
              return;
            }
            setState({
              status: "unavailable",
              reason: close.reason
                ? `The server closed the live connection: ${close.reason}.`
                : "The live connection could not be opened.",
            });
          } else {
            setState({ status: "unavailable", reason: "The live connection could not be opened." });
          }
        },
        complete: () => {
          if (!stopped) setState({ status: "ended", reason: "The server ended live updates." });
        },
      },
    );

    function fail(error: LiveError) {
      const code = error.extensions?.code;
      if (code === "UNAUTHENTICATED") {
        onSignedOut(new ApiError(code, error.message ?? "The sign-in expired."));
        return;
      }
      // A server without the subscription answers with a validation error.
      const reason =
        code === "BAD_REQUEST" || code === "GRAPHQL_VALIDATION_FAILED" || !code
          ? "This server does not offer live figures."
          : (error.message ?? "Live updates stopped.");
      setState({ status: "unavailable", reason });
    }

    return () => {
      stopped = true;
      unsubscribe();
      void client.dispose();
    };
  }, [sessionId, token, attempt]);

  return state;
}
