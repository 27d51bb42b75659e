// One event: its totals and the Analytics → Sessions table (sortable, searchable, paged).
import { useEffect, useRef, useState } from "preact/hooks";


import { fmt, FORMAT_LABELS } from "./format";
import { EVENT_SESSIONS, type EventSessionsData } from "./queries";
import { href, navigate } from "./router";
import { useDebounced, usePaging, useQuery } from "./session";
import { DownloadButton, ErrorNote, Figure, Link, Pager, SearchField, Section, Select, SortHeader, Spinner } from "./ui";

type Column = "TITLE" | "START_TIME" | "REGISTERED_COUNT" | "ATTENDEE_COUNT" | "DURATION" | "AVERAGE_LIVE_WATCH_SECONDS" | "LIVE_VIEWS" | "RECORDING_VIEWS";

const COLUMNS: { key: Column; label: string; numeric: boolean; firstDirection: "ASC" | "DESC" }[] = [
  { key: "TITLE", label: "Session", numeric: false, firstDirection: "ASC" },
  { key: "START_TIME", label: "Starts", numeric: false, firstDirection: "ASC" },
  { key: "REGISTERED_COUNT", label: "Registered", numeric: true, firstDirection: "DESC" },
  { key: "ATTENDEE_COUNT", label: "Attended", numeric: true, firstDirection: "DESC" },
  { key: "LIVE_VIEWS", label: "Live views", numeric: true, firstDirection: "DESC" },
  { key: "RECORDING_VIEWS", label: "Recording views", numeric: true, firstDirection: "DESC" },
  { key: "AVERAGE_LIVE_WATCH_SECONDS", label: "Avg. live watch", numeric: true, firstDirection: "DESC" },
  { key: "DURATION", label: "Video length", numeric: true, firstDirection: "DESC" },
];

/** The orders as one list, for narrow screens, where the table has no header row. */
const SORT_OPTIONS: [string, string][] = [
  ["START_TIME_ASC", "Start, earliest first"],
  ["START_TIME_DESC", "Start, latest first"],
  ["TITLE_ASC", "Title, A to Z"],
  ["TITLE_DESC", "Title, Z to A"],
  ["REGISTERED_COUNT_DESC", "Most registered"],
  ["REGISTERED_COUNT_ASC", "Fewest registered"],
  ["ATTENDEE_COUNT_DESC", "Most attended"],
  ["ATTENDEE_COUNT_ASC", "Fewest attended"],
  ["LIVE_VIEWS_DESC", "Most live views"],
  ["LIVE_VIEWS_ASC", "Fewest live views"],
  ["RECORDING_VIEWS_DESC", "Most recording views"],
  ["RECORDING_VIEWS_ASC", "Fewest recording views"],
  ["AVERAGE_LIVE_WATCH_SECONDS_DESC", "Longest average live watch"],
  ["AVERAGE_LIVE_WATCH_SECONDS_ASC", "Shortest average live watch"],
  ["DURATION_DESC", "Longest video"],
  ["DURATION_ASC", "Shortest video"],
];

const PAGE_SIZES: [string, string][] = [["10", "10"], ["20", "20"], ["50", "50"], ["100", "100"]];

export function EventView(props: { id: string }) {
  const [sort, setSort] = useState<{ column: Column; direction: "ASC" | "DESC" }>({ column: "START_TIME", direction: "ASC" });
  const [search, setSearch] = useState("");
  const [format, setFormat] = useState("");
  const [pageSize, setPageSize] = useState(20);
  const settled = useDebounced(search.trim());
  const paging = usePaging(JSON.stringify([sort, settled, format, pageSize]));
  const after = paging.after;
  const heading = useRef<HTMLHeadingElement>(null);

  const { data, error, loading, reload } = useQuery<EventSessionsData>(EVENT_SESSIONS, {
    id: props.id,
    first: pageSize,
    after,
    search: settled || null,
    format: format || null,
    orderBy: `${sort.column}_${sort.direction}`,
  });
  const event = data?.event;
  // The page the rows on screen belong to (the next one is loading meanwhile).
  const [shownIndex, setShownIndex] = useState(0);
  useEffect(() => {
    if (data) setShownIndex(paging.index);
  }, [data]);

  useEffect(() => {
    if (event) document.title = `${event.name} · Session Analytics`;
  }, [event?.name]);
  useEffect(() => heading.current?.focus(), [Boolean(event)]);

  const toggle = (column: Column, first: "ASC" | "DESC") =>
    setSort((current) => (current.column === column ? { column, direction: current.direction === "ASC" ? "DESC" : "ASC" } : { column, direction: first }));

  if (!data && loading) return <div class="page"><Spinner label="Loading the event…" /></div>;
  if (!event) {
    return (
      <div class="page">
        <Breadcrumbs />
        <ErrorNote error={error ?? new Error("This event is not available.")} onRetry={error ? reload : undefined} />
      </div>
    );
  }
  const sessions = event.sessions;
  const totals = event.analytics;
  const attendanceRate = totals.registeredCount > 0 ? totals.attendeeCount / totals.registeredCount : null;
  return (
    <div class="page">
      <Breadcrumbs name={event.name} />
      <div class="page-header">
        <div>
          <p class="eyebrow">Event</p>
          <h1 ref={heading} tabIndex={-1}>
            {event.name}
          </h1>
          <p class="muted">{fmt.span(event.startTime, event.endTime)}</p>
        </div>
        <DownloadButton path={`/export/events/${encodeURIComponent(event.id)}/sessions.csv`} fileName={`event-${event.id}-sessions.csv`} label="Sessions CSV" testId="sessions-csv" />
      </div>
      <dl class="figures figures-4">
        <Figure label="Sessions" value={fmt.int(totals.sessionCount)} />
        <Figure label="Registrations" value={fmt.int(totals.registeredCount)} />
        <Figure label="Attendees" value={fmt.int(totals.attendeeCount)} hint={attendanceRate == null ? undefined : `${fmt.pct(attendanceRate)} of registrations`} />
        <Figure label="Live views" value={fmt.int(totals.liveViews)} />
        <Figure label="Recording views" value={fmt.int(totals.recordingViews)} />
        <Figure label="Watch time" value={fmt.duration(totals.totalWatchSeconds)} />
        <Figure label="Interactions" value={fmt.int(totals.chatMessages + totals.questions + totals.pollVotes)} hint={`${fmt.int(totals.chatMessages)} chat · ${fmt.int(totals.questions)} Q&A · ${fmt.int(totals.pollVotes)} polls`} />
        <Figure label="Check-ins" value={fmt.int(totals.checkIns)} />
      </dl>

      <Section title="Sessions" id="sessions-title" description="Open a session for its registrants, timeline and live figures.">
        <div class="toolbar">
          <SearchField id="session-search" label="Search titles" value={search} placeholder="e.g. keynote" onInput={setSearch} />
          <Select
            id="session-format"
            label="Format"
            value={format}
            onChange={setFormat}
            options={[["", "All formats"], ...Object.entries(FORMAT_LABELS)]}
          />
          <Select id="session-page-size" label="Rows" value={String(pageSize)} onChange={(v) => setPageSize(Number(v))} options={PAGE_SIZES} />
          <Select
            id="session-sort"
            label="Sort by"
            class="only-narrow field-wide"
            value={`${sort.column}_${sort.direction}`}
            onChange={(value) => {
              const at = value.lastIndexOf("_");
              setSort({ column: value.slice(0, at) as Column, direction: value.slice(at + 1) as "ASC" | "DESC" });
            }}
            options={SORT_OPTIONS}
          />
          {loading && <Spinner label="Updating…" />}
        </div>
        <ErrorNote error={error} onRetry={reload} />
        <div class="table-scroll" tabIndex={0} role="region" aria-labelledby="sessions-title">
          <table class="table table-cards" data-testid="sessions-table">
            <caption class="visually-hidden">
              Sessions of {event.name}, sorted by {COLUMNS.find((c) => c.key === sort.column)?.label}, {sort.direction === "ASC" ? "ascending" : "descending"}
            </caption>
            <thead>
              <tr>
                {COLUMNS.map((column) => (
                  <SortHeader
                    key={column.key}
                    label={column.label}
                    numeric={column.numeric}
                    active={sort.column === column.key}
                    direction={sort.direction === "ASC" ? "ascending" : "descending"}
                    onSort={() => toggle(column.key, column.firstDirection)}
                  />
                ))}
              </tr>
            </thead>
            <tbody>
              {sessions.nodes.map((session) => (
                <tr key={session.id} class="row-link" onClick={(e) => { if (!(e.target as HTMLElement).closest("a")) navigate(href.session(session.id)); }}>
                  <th scope="row" class="cell-title">
                    <Link href={href.session(session.id)}>{session.title}</Link>
                    <span class="cell-sub">
                      <span class={`badge badge-${session.format.toLowerCase()}`}>{FORMAT_LABELS[session.format] ?? fmt.enumLabel(session.format)}</span>
                      {session.location && <span class="muted">{session.location}</span>}
                    </span>
                  </th>
                  <td class="nowrap" data-label="Starts">{fmt.shortDateTime(session.startTime)}</td>
                  <td class="num" data-label="Registered">{fmt.int(session.stats.registeredCount)}</td>
                  <td class="num" data-label="Attended">{fmt.int(session.attendeeCount)}</td>
                  <td class="num" data-label="Live views">{fmt.int(session.videoAnalytics.liveViews)}</td>
                  <td class="num" data-label="Recording views">{fmt.int(session.videoAnalytics.recordingViews)}</td>
                  <td class="num" data-label="Avg. live watch">{session.duration == null && session.videoAnalytics.averageLiveWatchSeconds === 0 ? "—" : fmt.duration(session.videoAnalytics.averageLiveWatchSeconds)}</td>
                  <td class="num" data-label="Video length">{fmt.duration(session.duration)}</td>
                </tr>
              ))}
              {sessions.nodes.length === 0 && (
                <tr>
                  <td colSpan={COLUMNS.length} class="empty">
                    No session matches{settled ? ` “${settled}”` : ""}.
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
        <Pager
          label="Sessions"
          start={shownIndex * pageSize}
          count={sessions.nodes.length}
          total={sessions.totalCount}
          hasPrevious={paging.index > 0}
          hasNext={sessions.pageInfo.hasNextPage}
          busy={loading}
          onPrevious={paging.previous}
          onNext={() => paging.next(sessions.pageInfo.endCursor)}
        />
      </Section>
    </div>
  );
}

function Breadcrumbs(props: { name?: string }) {
  return (
    <nav aria-label="Breadcrumb" class="breadcrumbs">
      <ol>
        <li>
          <Link href={href.events()}>Events</Link>
        </li>
        {props.name && (
          <li>
            <span aria-current="page">{props.name}</span>
          </li>
        )}
      </ol>
    </nav>
  );
}
