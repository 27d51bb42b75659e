// Runs the typed operations against a live server and checks the answers: exits
// non-zero on any failure. Settings: API_URL, API_EMAIL, API_PASSWORD, SESSION_ID,
// SEND_DOCUMENT_ID (1: send the persisted hash instead of the document text).
import { AnalyticsClient, RequestFailed } from "./client.js";
import { type FragmentType, getFragmentData } from "./gql/index.js";
import type { SessionsTableQuery as SessionsTablePage } from "./gql/graphql.js";
import {
  LoginMutation,
  PageInfoFragment,
  RegistrantRowFragment,
  SessionDetailsQuery,
  SessionRowFragment,
  SessionSettingsFragment,
  SessionStatsFragment,
  SpeakerCardFragment,
  SessionsTableQuery,
} from "./operations.js";

const REGISTRANT_PAGE = 5;
const TABLE_PAGE = 4;

const settings = {
  url: process.env.API_URL ?? "http://127.0.0.1:8000/graphql",
  email: process.env.API_EMAIL ?? "event.admin@example.com",
  password: process.env.API_PASSWORD ?? "demo-password",
  sessionId: process.env.SESSION_ID ?? "1",
  sendDocumentId: ["1", "true"].includes(process.env.SEND_DOCUMENT_ID ?? ""),
};

function check(condition: unknown, what: string): asserts condition {
  if (!condition) throw new Error(`check failed: ${what}`);
}

function isDateTime(value: string): boolean {
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(value) &&
    !Number.isNaN(Date.parse(value));
}

/** A component's view of the stats: it sees only its fragment's fields. */
function statsLine(ref: FragmentType<typeof SessionStatsFragment>): string {
  const stats = getFragmentData(SessionStatsFragment, ref);
  for (const count of [stats.registeredCount, stats.interestedCount, stats.attendeeCount]) {
    check(Number.isInteger(count) && count >= 0, "stats are non-negative integers");
  }
  return `${stats.registeredCount} registered, ${stats.interestedCount} interested, ${stats.attendeeCount} attended`;
}

async function main(): Promise<void> {
  const client = new AnalyticsClient({ url: settings.url, sendDocumentId: settings.sendDocumentId });
  const summary: string[] = [];

  // Without a token the session is refused with a stable code, not an empty answer.
  try {
    await client.request(SessionDetailsQuery, { id: settings.sessionId, registrantsFirst: 1 });
    throw new Error("check failed: an anonymous session query was answered");
  } catch (error) {
    if (!(error instanceof RequestFailed) || error.errors.length === 0) throw error;
    check(error.codes.includes("UNAUTHENTICATED"), `anonymous query gives UNAUTHENTICATED, got ${error.message}`);
  }
  summary.push("anonymous session query: UNAUTHENTICATED");

  const { login } = await client.request(LoginMutation, {
    email: settings.email,
    password: settings.password,
  });
  check(login.token.length > 0, "login returns a token");
  check(isDateTime(login.expiresAt) && Date.parse(login.expiresAt) > Date.now(), "token expires in the future");
  check(login.viewer.email.toLowerCase() === settings.email.toLowerCase(), "viewer is the account that logged in");
  client.setToken(login.token);
  summary.push(`login: ${login.viewer.role} (user ${login.viewer.userId})`);

  // The row view, first page of registrants.
  const first = await client.request(SessionDetailsQuery, {
    id: settings.sessionId,
    registrantsFirst: REGISTRANT_PAGE,
    registrantsOrder: "REGISTRATION_DATE_ASC",
  });
  check(first.session, `session ${settings.sessionId} exists and is readable`);
  const session = getFragmentData(SessionSettingsFragment, first.session);
  check(session.id === settings.sessionId, "the session has the id asked for");
  check(session.title.length > 0, "the session has a title");
  check(isDateTime(session.startTime) && isDateTime(session.endTime), "times are RFC 3339");
  check(Date.parse(session.startTime) <= Date.parse(session.endTime), "the session starts before it ends");
  check(typeof session.enableChat === "boolean" && typeof session.recordSession === "boolean", "switches are booleans");
  check(first.session.speakers.length > 0, "the session has speakers");
  for (const ref of first.session.speakers) {
    const speaker = getFragmentData(SpeakerCardFragment, ref);
    check(speaker.firstName.length > 0 && Array.isArray(speaker.ticketTypesForSpeaker), "speakers have names and ticket types");
  }
  const statsText = statsLine(first.session.stats);
  check(
    first.session.attendeeCount === getFragmentData(SessionStatsFragment, first.session.stats).attendeeCount,
    "attendeeCount equals stats.attendeeCount",
  );

  const registrants = first.session.registeredHolderUsers;
  const page1 = registrants.edges.map((e) => getFragmentData(RegistrantRowFragment, e.node));
  const info1 = getFragmentData(PageInfoFragment, registrants.pageInfo);
  check(page1.length > 0, "the session has registrants");
  check(page1.length <= REGISTRANT_PAGE, "a page holds at most `first` registrants");
  check(registrants.totalCount >= page1.length, "totalCount covers the page");
  check(!info1.hasPreviousPage, "the first page has nothing before it");
  check(info1.endCursor === registrants.edges.at(-1)?.cursor, "endCursor is the last edge's cursor");
  for (const r of page1) {
    check(isDateTime(r.registrationDate), "registration dates are RFC 3339");
    check(r.engagement >= 0 && r.engagement <= 100, "engagement is a percentage");
  }
  let registrantPages = 1;
  if (info1.hasNextPage) {
    const second = await client.request(SessionDetailsQuery, {
      id: settings.sessionId,
      registrantsFirst: REGISTRANT_PAGE,
      registrantsAfter: info1.endCursor,
    });
    check(second.session, "the session is still there");
    const page2 = second.session.registeredHolderUsers.edges.map((e) => getFragmentData(RegistrantRowFragment, e.node));
    check(page2.length > 0, "hasNextPage promised a second page");
    check(second.session.registeredHolderUsers.totalCount === registrants.totalCount, "totalCount is the same on every page");
    const seen = new Set(page1.map((r) => r.eventTicketId));
    check(page2.every((r) => !seen.has(r.eventTicketId)), "the second page repeats no registrant");
    check(getFragmentData(PageInfoFragment, second.session.registeredHolderUsers.pageInfo).hasPreviousPage, "the second page has a page before it");
    registrantPages = 2;
  }
  summary.push(
    `session ${session.id} "${session.title}" (${session.format}): ${statsText}; ` +
      `${first.session.speakers.length} speakers, ${first.session.sponsors.length} sponsors, ` +
      `${first.session.assetList.length} assets, ${registrants.totalCount} registrants (${registrantPages} pages read)`,
  );

  // The event's sessions table, every page.
  const ids: string[] = [];
  let after: string | null | undefined = null;
  let totalCount = -1;
  let eventName = "";
  for (let pages = 0; ; pages += 1) {
    check(totalCount < 0 || pages <= Math.ceil(totalCount / TABLE_PAGE), "paging ends after totalCount rows");
    const table: SessionsTablePage = await client.request(SessionsTableQuery, { eventId: session.eventId, first: TABLE_PAGE, after });
    check(table.event, `event ${session.eventId} exists and is readable`);
    check(table.event.id === session.eventId, "the event has the id asked for");
    eventName = table.event.name;
    const connection = table.event.sessions;
    check(totalCount < 0 || connection.totalCount === totalCount, "totalCount is the same on every page");
    totalCount = connection.totalCount;
    check(connection.edges.length <= TABLE_PAGE, "a page holds at most `first` sessions");
    for (const edge of connection.edges) {
      const row = getFragmentData(SessionRowFragment, edge.node);
      check(isDateTime(row.startTime), "row times are RFC 3339");
      statsLine(row.stats);
      ids.push(row.id);
    }
    const info = getFragmentData(PageInfoFragment, connection.pageInfo);
    if (!info.hasNextPage) break;
    check(info.endCursor, "a page with more after it has an endCursor");
    after = info.endCursor;
  }
  check(ids.length === totalCount, `paging read totalCount (${totalCount}) sessions, got ${ids.length}`);
  check(new Set(ids).size === ids.length, "no session appears on two pages");
  check(ids.includes(session.id), "the table lists the session");
  summary.push(`event ${session.eventId} "${eventName}": ${ids.length} sessions in pages of ${TABLE_PAGE}`);

  const mode = settings.sendDocumentId ? "documentId" : "document text";
  console.log(`typescript client OK against ${settings.url} (${mode})`);
  for (const line of summary) console.log(`  ${line}`);
}

main().catch((error: unknown) => {
  console.error(`typescript client FAILED: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
