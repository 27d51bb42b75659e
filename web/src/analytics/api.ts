// The page's only door to the server: GraphQL over HTTP at /graphql (with variables,
// never documents built from strings) and the two CSV exports, with the bearer token.

export const GRAPHQL_PATH = "/graphql";

/** A failure the page can explain: the API's `extensions.code`, or our own. */
export class ApiError extends Error {
  readonly code: string;
  readonly retryAfter?: number;
  constructor(code: string, message: string, retryAfter?: number) {
    super(message);
    this.code = code;
    this.retryAfter = retryAfter;
  }
  /** The token is missing, bad or expired: the viewer must sign in again. */
  get signedOut(): boolean {
    return this.code === "UNAUTHENTICATED";
  }
}

interface GraphQLErrorShape {
  message?: string;
  extensions?: { code?: string; retryAfter?: number; buckets?: number; maxBuckets?: number };
}

/** What each error code means to a host, in words. */
export function explain(error: unknown): string {
  if (!(error instanceof ApiError)) {
    return error instanceof Error ? error.message : "Something went wrong.";
  }
  switch (error.code) {
    case "UNAUTHENTICATED":
      return "Your sign-in has expired or is not valid. Please sign in again.";
    case "FORBIDDEN":
      return "This account may not read event data: only super admins, organizer admins and event admins can.";
    case "NOT_EVENT_HOST":
      return "You are not a host of this event, so its data is not available to you.";
    case "SESSION_NOT_FOUND":
      return "There is no session with this id.";
    case "EVENT_NOT_FOUND":
      return "There is no event with this id.";
    case "RATE_LIMITED":
      return `Too many requests. Try again${error.retryAfter ? ` in ${error.retryAfter} s` : " in a moment"}.`;
    case "TIMELINE_TOO_LONG":
      return "The session is too long for buckets this small: choose a longer bucket.";
    case "SERVICE_UNAVAILABLE":
      return "The server is busy or its database is unreachable. Try again in a moment.";
    case "NETWORK":
      return "The server could not be reached. Check your connection and try again.";
    case "INTERNAL":
      return "The server failed to answer. Try again; if it keeps failing, tell the operators.";
    default:
      return error.message || "Something went wrong.";
  }
}

function toApiError(error: GraphQLErrorShape | undefined, status: number): ApiError {
  const code = error?.extensions?.code ?? (status === 401 ? "UNAUTHENTICATED" : `HTTP_${status}`);
  const retry = error?.extensions?.retryAfter;
  return new ApiError(code, error?.message ?? `The server answered ${status}.`, retry);
}

/** Runs one operation; resolves with `data`, or rejects with the first error. */
export async function graphql<T>(
  query: string,
  variables: Record<string, unknown>,
  token: string | null,
  signal?: AbortSignal,
): Promise<T> {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    accept: "application/graphql-response+json, application/json",
  };
  if (token) headers.authorization = `Bearer ${token}`;
  let response: Response;
  try {
    response = await fetch(GRAPHQL_PATH, {
      method: "POST",
      headers,
      body: JSON.stringify({ query, variables }),
      signal,
    });
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new ApiError("NETWORK", "The server could not be reached.");
  }
  let body: { data?: T | null; errors?: GraphQLErrorShape[] } | undefined;
  try {
    body = await response.json();
  } catch {
    throw new ApiError(`HTTP_${response.status}`, `The server answered ${response.status}.`);
  }
  if (body?.errors?.length) throw toApiError(body.errors[0], response.status);
  if (!response.ok || !body?.data) throw toApiError(undefined, response.status);
  return body.data;
}

/**
 * Downloads a CSV export: the endpoints take the token in the Authorization header,
 * which a plain link cannot send, so the file is fetched and handed to the browser as
 * a Blob through a temporary `<a download>`.
 */
export async function downloadCsv(path: string, fallbackName: string, token: string): Promise<string> {
  let response: Response;
  try {
    response = await fetch(path, { headers: { authorization: `Bearer ${token}`, accept: "text/csv" } });
  } catch {
    throw new ApiError("NETWORK", "The server could not be reached.");
  }
  if (!response.ok) {
    let error: GraphQLErrorShape | undefined;
    try {
      const body = (await response.json()) as { errors?: GraphQLErrorShape[] };
      error = body.errors?.[0];
    } catch {
      error = undefined;
    }
    const failure = toApiError(error, response.status);
    const retry = Number(response.headers.get("retry-after"));
    throw Number.isFinite(retry) && retry > 0 ? new ApiError(failure.code, failure.message, retry) : failure;
  }
  const blob = await response.blob();
  const disposition = response.headers.get("content-disposition") ?? "";
  const name = /filename="?([^";]+)"?/i.exec(disposition)?.[1] ?? fallbackName;
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  // Chromium reads the Blob after the click returns: revoke a little later.
  window.setTimeout(() => URL.revokeObjectURL(url), 30_000);
  return name;
}
