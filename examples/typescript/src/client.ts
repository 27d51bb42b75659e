// A typed GraphQL client: graphql-request for the document text, or a plain POST of
// the document's hash (`documentId`) for a server that only runs trusted documents.
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { getOperationAST } from "graphql";
import { ClientError, GraphQLClient } from "graphql-request";

/** A GraphQL error as this server sends it: a message and a stable `extensions.code`. */
export interface ServerError {
  message: string;
  extensions?: { code?: string; status?: number };
}

/** The request failed: HTTP status, GraphQL errors, or the network. */
export class RequestFailed extends Error {
  constructor(
    readonly operation: string,
    readonly httpStatus: number | undefined,
    readonly errors: ServerError[],
    detail?: string,
  ) {
    // The server's messages are safe to show (never SQL, secrets or personal data);
    // the variables, which may hold a password, are never part of this text.
    const described = errors.map((e) => `${e.extensions?.code ?? "NO_CODE"} (${e.message})`).join(", ");
    super(
      `${operation} failed` +
        (httpStatus !== undefined ? ` (HTTP ${httpStatus})` : "") +
        (described ? `: ${described}` : "") +
        (detail ? `: ${detail}` : ""),
    );
    this.name = "RequestFailed";
  }

  /** The stable codes of the GraphQL errors, e.g. `["UNAUTHENTICATED"]`. */
  get codes(): string[] {
    return this.errors.map((e) => e.extensions?.code ?? "NO_CODE");
  }
}

export interface ClientOptions {
  url: string;
  /** Send `documentId` (the client preset's hash) instead of the document text. */
  sendDocumentId: boolean;
}

export class AnalyticsClient {
  private token: string | undefined;
  private readonly gql: GraphQLClient;

  constructor(private readonly options: ClientOptions) {
    this.gql = new GraphQLClient(options.url);
  }

  /** Bearer token for every later request; `undefined` to go anonymous. */
  setToken(token: string | undefined): void {
    this.token = token;
  }

  async request<TResult, TVariables extends Record<string, unknown>>(
    document: TypedDocumentNode<TResult, TVariables>,
    variables: TVariables,
  ): Promise<TResult> {
    const operation = getOperationAST(document)?.name?.value ?? "anonymous operation";
    const headers: Record<string, string> = {};
    if (this.token !== undefined) headers.authorization = `Bearer ${this.token}`;
    if (this.options.sendDocumentId) {
      return this.requestById(document, operation, variables, headers);
    }
    try {
      // graphql-request's overloads cannot see that TVariables is an object type.
      return await this.gql.request<TResult>({
        document,
        variables: variables as Record<string, unknown>,
        requestHeaders: headers,
      });
    } catch (error) {
      if (error instanceof ClientError) {
        throw new RequestFailed(
          operation,
          error.response.status,
          (error.response.errors ?? []) as ServerError[],
        );
      }
      throw new RequestFailed(operation, undefined, [], describe(error));
    }
  }

  private async requestById<TResult>(
    document: TypedDocumentNode<TResult, any>,
    operation: string,
    variables: Record<string, unknown>,
    headers: Record<string, string>,
  ): Promise<TResult> {
    // The client preset embeds the manifest key (`sha256:<hex>`) in each document.
    const documentId = (document as { __meta__?: { hash?: string } }).__meta__?.hash;
    if (!documentId) {
      throw new RequestFailed(operation, undefined, [], "document has no persisted hash");
    }
    let response: Response;
    try {
      response = await fetch(this.options.url, {
        method: "POST",
        headers: {
          ...headers,
          "content-type": "application/json",
          accept: "application/graphql-response+json, application/json",
        },
        body: JSON.stringify({ documentId, operationName: operation, variables }),
      });
    } catch (error) {
      throw new RequestFailed(operation, undefined, [], describe(error));
    }
    let body: { data?: TResult | null; errors?: ServerError[] };
    try {
      body = (await response.json()) as typeof body;
    } catch {
      throw new RequestFailed(operation, response.status, [], "response is not JSON");
    }
    if (!response.ok || body.errors?.length || body.data == null) {
      throw new RequestFailed(operation, response.status, body.errors ?? []);
    }
    return body.data;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
