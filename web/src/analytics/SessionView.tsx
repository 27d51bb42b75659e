// One session: everything the API offers about it, with its live figures.
import { useEffect, useRef, useState } from "preact/hooks";

import { graphql, type ApiError } from "./api";
import { binEngagement, Histogram, TimelineChart, type HistogramBin } from "./charts";
import { fmt, FORMAT_LABELS } from "./format";
import { useSessionLive, type LiveState } from "./live";
import {
  ENGAGEMENT,
  EVENT_NAME,
  SESSION,
  TIMELINE,
  type EngagementData,
  type EventNameData,
  type SessionData,
  type SessionDetail,
  type Stats,
  type TimelineData,
  type VideoAnalytics,
} from "./queries";
import { RegistrantsTable } from "./RegistrantsTable";
import { href } from "./router";
import { useQuery, useSigned } from "./session";
import { SettingsPanel } from "./SettingsPanel";
import { DownloadButton, ErrorNote, Figure, Link, Section, Select, Spinner } from "./ui";

export function SessionView(props: { id: string }) {
  const { auth, signOut } = useSigned();
  const { data, error, loading, reload } = useQuery<SessionData>(SESSION, { id: props.id });
  const session = data?.session;
  const eventName = useQuery<EventNameData>(EVENT_NAME, { id: session?.eventId ?? "" }, Boolean(session)).data?.event?.name;
  const [liveAttempt, setLiveAttempt] = useState(0);
  const live = useSessionLive(props.id, auth.token, liveAttempt, (failure: ApiError) => signOut(failure.signedOut ? "Your sign-in has expired. Please sign in again." : undefined));
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    if (session) document.title = `${session.title} · Session Analytics`;
  }, [session?.title]);
  useEffect(() => heading.current?.focus(), [Boolean(session)]);

  if (!data && loading) return <div class="page"><Spinner label="Loading the session…" /></div>;
  if (!session) {
    return (
      <div class="page">
        <ErrorNote error={error ?? new Error("There is no session with this id.")} onRetry={error ? reload : undefined} />
        <p>
          <Link href={href.events()}>Back to your events</Link>
        </p>
      </div>
    );
  }

  // Live figures replace the loaded ones as they arrive.
  const liveFigures = live.status === "live" ? live.figures : null;
  const stats: Stats = liveFigures?.stats ?? session.stats;
  const video: VideoAnalytics = liveFigures?.videoAnalytics ?? session.videoAnalytics;

  return (
    <div class="page">
      <nav aria-label="Breadcrumb" class="breadcrumbs">
        <ol>
          <li>
            <Link href={href.events()}>Events</Link>
          </li>
          <li>
            <Link href={href.event(session.eventId)}>{eventName ?? `Event ${session.eventId}`}</Link>
          </li>
          <li>
            <span aria-current="page">{session.title}</span>
          </li>
        </ol>
      </nav>
      <div class="page-header">
        <div>
          <p class="eyebrow">
            <span class={`badge badge-${session.format.toLowerCase()}`}>{FORMAT_LABELS[session.format] ?? fmt.enumLabel(session.format)}</span>
          </p>
          <h1 ref={heading} tabIndex={-1} data-testid="session-title">
            {session.title}
          </h1>
          <p class="muted">
            {fmt.span(session.startTime, session.endTime)}
            {session.location ? ` · ${session.location}` : ""}
          </p>
          {session.description && <p class="lead">{session.description}</p>}
        </div>
        <DownloadButton
          path={`/export/sessions/${encodeURIComponent(session.id)}/registrants.csv`}
          fileName={`session-${session.id}-registrants.csv`}
          label="Registrants CSV"
          testId="registrants-csv"
        />
      </div>

      <LivePanel state={live} onRetry={() => setLiveAttempt((n) => n + 1)} />

      <Figures session={session} stats={stats} video={video} live={liveFigures !== null} />

      <div class="grid-2">
        <Section title="Attendance over time" id="timeline-title" class="span-wide" description="The most viewers watching at once in each bucket, and the joins.">
          <Timeline sessionId={session.id} />
        </Section>
        <Section title="Engagement" id="engagement-title" description="Registrants by the share of the video they watched.">
          <Engagement sessionId={session.id} hasVideo={session.duration != null} />
        </Section>
      </div>

      <Section title="Video analytics" id="video-title" description="Views count when they last 30 seconds, or the whole video when it is shorter.">
        <VideoFigures video={video} live={liveFigures !== null} />
      </Section>

      <RegistrantsTable sessionId={session.id} />

      <SettingsPanel session={session} />
    </div>
  );
}

function LivePanel(props: { state: LiveState; onRetry: () => void }) {
  const { state } = props;
  const figures = state.status === "live" ? state.figures : null;
  return (
    <section class={`live live-${state.status}`} aria-labelledby="live-title" data-testid="live-panel" data-status={state.status}>
      <div class="live-status">
        <span class="live-dot" aria-hidden="true" />
        <h2 id="live-title">
          {state.status === "live" ? "Live" : state.status === "connecting" ? "Connecting to live updates…" : "Live updates unavailable"}
        </h2>
      </div>
      {figures ? (
        <dl class="live-figures" aria-live="polite">
          <LiveFigure label="Watching now" value={figures.concurrentViewers} testId="live-concurrent" />
          <LiveFigure label="Joins, last minute" value={figures.joinsLastMinute} testId="live-joins-minute" />
          <LiveFigure label="Joins, all" value={figures.videoAnalytics.joins} testId="live-joins" />
          <LiveFigure label="Attendees" value={figures.stats.attendeeCount} testId="live-attendees" />
          <div class="live-updated">
            <dt>Updated</dt>
            <dd data-testid="live-updated">{fmt.timeSeconds(figures.updatedAt)}</dd>
          </div>
        </dl>
      ) : (
        <p class="live-note">
          {state.status === "connecting"
            ? "Figures below are as of page load."
            : `${"reason" in state ? state.reason : ""} The figures below are as of page load.`}
          {(state.status === "unavailable" || state.status === "ended") && (
            <button type="button" class="link-button" onClick={props.onRetry}>
              Try again
            </button>
          )}
        </p>
      )}
    </section>
  );
}

/** A number that flashes when it changes. */
function LiveFigure(props: { label: string; value: number; testId: string }) {
  const previous = useRef(props.value);
  const [flash, setFlash] = useState(false);
  useEffect(() => {
    if (previous.current !== props.value) {
      previous.current = props.value;
      setFlash(true);
      const timer = window.setTimeout(() => setFlash(false), 1200);
      return () => window.clearTimeout(timer);
    }
  }, [props.value]);
  return (
    <div class={`live-figure${flash ? " flash" : ""}`}>
      <dt>{props.label}</dt>
      <dd data-testid={props.testId}>{fmt.int(props.value)}</dd>
    </div>
  );
}

function Figures(props: { session: SessionDetail; stats: Stats; video: VideoAnalytics; live: boolean }) {
  const { session, stats, video } = props;
  const rate = stats.registeredCount > 0 ? stats.attendeeCount / stats.registeredCount : null;
  const fill = session.capacity ? stats.registeredCount / session.capacity : null;
  return (
    <dl class="figures" aria-label="Session figures">
      <Figure label="Registered" value={fmt.int(stats.registeredCount)} hint={fill == null ? undefined : `${fmt.pct(fill)} of ${fmt.int(session.capacity)} places`} tone="accent" />
      <Figure label="Interested" value={fmt.int(stats.interestedCount)} hint="bookmarked, not registered" />
      <Figure label="Attended" value={fmt.int(stats.attendeeCount)} hint={rate == null ? undefined : `${fmt.pct(rate)} of registered`} testId="figure-attended" />
      <Figure label="Peak concurrent" value={fmt.int(video.peakConcurrentViewers)} hint={video.peakConcurrentAt ? `at ${fmt.time(video.peakConcurrentAt)}` : "no live viewers"} />
      <Figure label="Avg. live watch" value={fmt.duration(video.averageLiveWatchSeconds)} hint={session.duration ? `of a ${fmt.duration(session.duration)} video` : undefined} />
      <Figure label="Total watch time" value={fmt.duration(video.totalWatchSeconds)} />
    </dl>
  );
}

function VideoFigures(props: { video: VideoAnalytics; live: boolean }) {
  const v = props.video;
  const groups: { title: string; items: [string, string][] }[] = [
    {
      title: "Live",
      items: [
        ["Views", fmt.int(v.liveViews)],
        ["Unique viewers", fmt.int(v.uniqueLiveViewers)],
        ["Viewers (any length)", fmt.int(v.liveViewers)],
        ["Watch time", fmt.duration(v.liveWatchSeconds)],
        ["Average watch", fmt.duration(v.averageLiveWatchSeconds)],
        ["Peak concurrent", v.peakConcurrentAt ? `${fmt.int(v.peakConcurrentViewers)} at ${fmt.time(v.peakConcurrentAt)}` : fmt.int(v.peakConcurrentViewers)],
      ],
    },
    {
      title: "Recording",
      items: [
        ["Views", fmt.int(v.recordingViews)],
        ["Unique viewers", fmt.int(v.uniqueRecordingViewers)],
        ["Viewers (any length)", fmt.int(v.recordingViewers)],
        ["Watch time", fmt.duration(v.recordingWatchSeconds)],
        ["Average watch", fmt.duration(v.averageRecordingWatchSeconds)],
      ],
    },
    {
      title: "Interaction",
      items: [
        ["Chat messages", fmt.int(v.chatMessages)],
        ["Questions", fmt.int(v.questions)],
        ["Poll votes", fmt.int(v.pollVotes)],
        ["Check-ins", fmt.int(v.checkIns)],
        ["Joins", fmt.int(v.joins)],
        ["Leaves", fmt.int(v.leaves)],
      ],
    },
  ];
  return (
    <div class="stat-groups">
      {groups.map((group) => (
        <div class="stat-group" key={group.title}>
          <h3>{group.title}</h3>
          <dl class="stat-list">
            {group.items.map(([label, value]) => (
              <div key={label}>
                <dt>{label}</dt>
                <dd>{value}</dd>
              </div>
            ))}
          </dl>
        </div>
      ))}
    </div>
  );
}

const BUCKETS: [string, string][] = [
  ["MINUTE", "1 minute"],
  ["FIVE_MINUTES", "5 minutes"],
  ["FIFTEEN_MINUTES", "15 minutes"],
];

function Timeline(props: { sessionId: string }) {
  const [bucket, setBucket] = useState("FIVE_MINUTES");
  const { data, error, loading, reload } = useQuery<TimelineData>(TIMELINE, { id: props.sessionId, bucket });
  const buckets = data?.session?.attendanceTimeline ?? [];
  const minutes = bucket === "MINUTE" ? 1 : bucket === "FIVE_MINUTES" ? 5 : 15;
  return (
    <>
      <div class="toolbar toolbar-tight">
        <Select id="timeline-bucket" label="Bucket" value={bucket} options={BUCKETS} onChange={setBucket} />
        {loading && <Spinner label="Loading…" />}
      </div>
      <ErrorNote error={error} onRetry={reload} />
      {data && buckets.length === 0 && <p class="empty">The session has no time span to chart.</p>}
      {buckets.length > 0 && <TimelineChart buckets={buckets} bucketMinutes={minutes} />}
    </>
  );
}

/** Page size of the engagement read, and how many pages at most (10,000 registrants). */
const ENGAGEMENT_PAGE = 500;
const ENGAGEMENT_PAGES = 20;

function Engagement(props: { sessionId: string; hasVideo: boolean }) {
  const { auth, signOut } = useSigned();
  const [state, setState] = useState<{ bins: HistogramBin[] | null; total: number; read: number; mean: number; error: unknown }>({ bins: null, total: 0, read: 0, mean: 0, error: null });
  const [round, setRound] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    (async () => {
      const values: { engagement: number; attended: boolean }[] = [];
      let after: string | null = null;
      let total = 0;
      for (let page = 0; page < ENGAGEMENT_PAGES; page += 1) {
        const data: EngagementData = await graphql<EngagementData>(ENGAGEMENT, { id: props.sessionId, first: ENGAGEMENT_PAGE, after }, auth.token, controller.signal);
        const list = data.session?.registeredHolderUsers;
        if (!list) break;
        total = list.totalCount;
        values.push(...list.nodes);
        if (!list.pageInfo.hasNextPage) break;
        after = list.pageInfo.endCursor;
      }
      const mean = values.reduce((sum, v) => sum + v.engagement, 0) / Math.max(1, values.length);
      setState({ bins: binEngagement(values), total, read: values.length, mean, error: null });
    })().catch((error: unknown) => {
      if (controller.signal.aborted) return;
      if (error && typeof error === "object" && "signedOut" in error && (error as ApiError).signedOut) {
        signOut("Your sign-in has expired. Please sign in again.");
        return;
      }
      setState((previous) => ({ ...previous, error }));
    });
    return () => controller.abort();
  }, [props.sessionId, auth.token, round]);

  if (state.error) return <ErrorNote error={state.error} onRetry={() => setRound((n) => n + 1)} />;
  if (!state.bins) return <Spinner label="Reading registrants' engagement…" />;
  if (state.total === 0) return <p class="empty">Nobody has registered for this session yet.</p>;
  return (
    <>
      {!props.hasVideo && <p class="note note-info">This session has no video: everyone's engagement is 0 %.</p>}
      <Histogram bins={state.bins} />
      <p class="chart-footnote muted">
        {state.read < state.total ? `Based on the first ${fmt.int(state.read)} of ${fmt.int(state.total)} registrants. ` : `${fmt.int(state.total)} registrants. `}
        Average engagement {fmt.dec(state.mean)} %.
      </p>
    </>
  );
}
