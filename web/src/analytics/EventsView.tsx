// The events the viewer hosts, newest first, each with its totals.
import { useEffect, useRef, useState } from "preact/hooks";

import { fmt } from "./format";
import { EVENTS, type EventsData, type EventSummary } from "./queries";
import { href } from "./router";
import { useQuery } from "./session";
import { ErrorNote, Link, Spinner } from "./ui";

const PAGE = 12;

export function EventsView() {
  const [after, setAfter] = useState<string | null>(null);
  const [events, setEvents] = useState<EventSummary[]>([]);
  const { data, error, loading, reload } = useQuery<EventsData>(EVENTS, { first: PAGE, after });
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    document.title = "Events · Session Analytics";
    heading.current?.focus();
  }, []);
  useEffect(() => {
    if (data) setEvents((previous) => (after ? [...previous, ...data.events.nodes.filter((e) => !previous.some((p) => p.id === e.id))] : data.events.nodes));
  }, [data]);

  return (
    <div class="page">
      <div class="page-header">
        <div>
          <p class="eyebrow">Analytics</p>
          <h1 ref={heading} tabIndex={-1}>
            Your events
          </h1>
          {data && <p class="muted">{fmt.int(data.events.totalCount)} events you host, newest first.</p>}
        </div>
      </div>
      <ErrorNote error={error} onRetry={reload} />
      {loading && events.length === 0 && <Spinner label="Loading your events…" />}
      {data && data.events.totalCount === 0 && <p class="empty">You host no events yet.</p>}
      <ul class="event-grid" data-testid="events">
        {events.map((event) => (
          <li key={event.id} class="event-card">
            <h2>
              <Link href={href.event(event.id)}>{event.name}</Link>
            </h2>
            <p class="muted">{fmt.span(event.startTime, event.endTime)}</p>
            <dl class="mini-figures">
              <div>
                <dt>Sessions</dt>
                <dd>{fmt.int(event.analytics.sessionCount)}</dd>
              </div>
              <div>
                <dt>Registrations</dt>
                <dd>{fmt.int(event.analytics.registeredCount)}</dd>
              </div>
              <div>
                <dt>Attendees</dt>
                <dd>{fmt.int(event.analytics.attendeeCount)}</dd>
              </div>
              <div>
                <dt>Watch time</dt>
                <dd>{fmt.duration(event.analytics.totalWatchSeconds)}</dd>
              </div>
            </dl>
          </li>
        ))}
      </ul>
      {data?.events.pageInfo.hasNextPage && (
        <p class="center">
          <button type="button" class="button" disabled={loading} onClick={() => setAfter(data.events.pageInfo.endCursor)}>
            {loading ? "Loading…" : "Show more events"}
          </button>
        </p>
      )}
    </div>
  );
}
