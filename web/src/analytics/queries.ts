// Every operation the page sends, with the shapes of their answers. Only variables
// vary: the documents are constants.

export const LOGIN = /* GraphQL */ `
  mutation Login($email: String!, $password: String!) {
    login(email: $email, password: $password) {
      token
      expiresAt
      viewer { userId email firstName lastName role }
    }
  }
`;

export interface EventTotals {
  sessionCount: number;
  registeredCount: number;
  attendeeCount: number;
  liveViews: number;
  recordingViews: number;
  totalWatchSeconds: number;
  chatMessages: number;
  questions: number;
  pollVotes: number;
  checkIns: number;
}

export interface EventSummary {
  id: string;
  name: string;
  startTime: string;
  endTime: string;
  analytics: EventTotals;
}

export interface PageInfo {
  hasNextPage: boolean;
  endCursor: string | null;
}

const TOTALS = `analytics {
  sessionCount registeredCount attendeeCount liveViews recordingViews totalWatchSeconds
  chatMessages questions pollVotes checkIns
}`;

export const EVENTS = /* GraphQL */ `
  query Events($first: Int!, $after: String) {
    events(first: $first, after: $after) {
      totalCount
      nodes { id name startTime endTime ${TOTALS} }
      pageInfo { hasNextPage endCursor }
    }
  }
`;

export interface EventsData {
  events: { totalCount: number; nodes: EventSummary[]; pageInfo: PageInfo };
}

export interface SessionRow {
  id: string;
  title: string;
  format: string;
  startTime: string;
  endTime: string;
  location: string | null;
  duration: number | null;
  attendeeCount: number;
  stats: { registeredCount: number; interestedCount: number };
  videoAnalytics: { liveViews: number; recordingViews: number; averageLiveWatchSeconds: number };
}

export const EVENT_SESSIONS = /* GraphQL */ `
  query EventSessions(
    $id: ID!
    $first: Int!
    $after: String
    $search: String
    $format: SessionFormat
    $orderBy: SessionOrder!
  ) {
    event(id: $id) {
      id name startTime endTime
      ${TOTALS}
      sessions(first: $first, after: $after, search: $search, format: $format, orderBy: $orderBy) {
        totalCount
        nodes {
          id title format startTime endTime location duration attendeeCount
          stats { registeredCount interestedCount }
          videoAnalytics { liveViews recordingViews averageLiveWatchSeconds }
        }
        pageInfo { hasNextPage endCursor }
      }
    }
  }
`;

export interface EventSessionsData {
  event: (EventSummary & { sessions: { totalCount: number; nodes: SessionRow[]; pageInfo: PageInfo } }) | null;
}

export interface Stats {
  registeredCount: number;
  interestedCount: number;
  attendeeCount: number;
}

export interface VideoAnalytics {
  liveViews: number;
  recordingViews: number;
  liveViewers: number;
  recordingViewers: number;
  uniqueLiveViewers: number;
  uniqueRecordingViewers: number;
  liveWatchSeconds: number;
  recordingWatchSeconds: number;
  totalWatchSeconds: number;
  averageLiveWatchSeconds: number;
  averageRecordingWatchSeconds: number;
  chatMessages: number;
  questions: number;
  pollVotes: number;
  checkIns: number;
  joins: number;
  leaves: number;
  peakConcurrentViewers: number;
  peakConcurrentAt: string | null;
}

const VIDEO = `
  liveViews recordingViews liveViewers recordingViewers uniqueLiveViewers uniqueRecordingViewers
  liveWatchSeconds recordingWatchSeconds totalWatchSeconds
  averageLiveWatchSeconds averageRecordingWatchSeconds
  chatMessages questions pollVotes checkIns joins leaves
  peakConcurrentViewers peakConcurrentAt
`;

export interface Speaker {
  speakerId: string;
  firstName: string;
  lastName: string;
  title: string | null;
  company: string | null;
  pronouns: string | null;
  moderator: boolean;
  ticketTypesForSpeaker: { id: string; name: string; free: boolean }[];
}

export interface Sponsor {
  id: string;
  name: string;
  website: string | null;
  size: string | null;
}

export interface Asset {
  id: string;
  assetId: string;
  playbackId: string | null;
  fileName: string | null;
  duration: number | null;
  createdAt: string;
  createdBy: { firstName: string | null; lastName: string | null; email: string } | null;
}

export interface SessionDetail {
  id: string;
  eventId: string;
  title: string;
  description: string | null;
  startTime: string;
  endTime: string;
  location: string | null;
  capacity: number | null;
  format: string;
  duration: number | null;
  hideSessionFromAttendees: boolean;
  enableQandA: boolean;
  enableChat: boolean;
  enablePoll: boolean;
  streamKey: string | null;
  streamUrl: string | null;
  streamProvider: string | null;
  subStreamProvider: string | null;
  rtmpUrl: string | null;
  accelEventsStudio: boolean;
  directVideoAutoStart: boolean;
  displayDonation: boolean;
  meetingPassword: string | null;
  closedCaptionHeight: number | null;
  closedCaptionUrl: string | null;
  recordSession: boolean;
  hideVideoControls: boolean;
  subTitleFileUrl: string | null;
  sessionVisibilityType: string;
  enableAttendeeList: boolean;
  allowedMinutesToJoinLate: number | null;
  qandAPrivate: boolean;
  stats: Stats;
  attendeeCount: number;
  speakers: Speaker[];
  sponsors: Sponsor[];
  assetList: Asset[];
  videoAnalytics: VideoAnalytics;
}

export const SESSION = /* GraphQL */ `
  query SessionDetail($id: ID!) {
    session(id: $id) {
      id eventId title description startTime endTime location capacity format duration
      hideSessionFromAttendees enableQandA enableChat enablePoll
      streamKey streamUrl streamProvider subStreamProvider rtmpUrl accelEventsStudio
      directVideoAutoStart displayDonation meetingPassword
      closedCaptionHeight closedCaptionUrl recordSession hideVideoControls subTitleFileUrl
      sessionVisibilityType enableAttendeeList allowedMinutesToJoinLate qandAPrivate
      stats { registeredCount interestedCount attendeeCount }
      attendeeCount
      speakers {
        speakerId firstName lastName title company pronouns moderator
        ticketTypesForSpeaker { id name free }
      }
      sponsors { id name website size }
      assetList { id assetId playbackId fileName duration createdAt createdBy { firstName lastName email } }
      videoAnalytics { ${VIDEO} }
    }
  }
`;

export interface SessionData {
  session: SessionDetail | null;
}

export const EVENT_NAME = /* GraphQL */ `
  query EventName($id: ID!) {
    event(id: $id) { id name }
  }
`;

export interface EventNameData {
  event: { id: string; name: string } | null;
}

export interface Bucket {
  startTime: string;
  peakLiveViewers: number;
  peakRecordingViewers: number;
  joins: number;
  leaves: number;
}

// Apart from SESSION: a session too long for the bucket size fails this field alone
// (TIMELINE_TOO_LONG), and changing the bucket reloads only the chart.
export const TIMELINE = /* GraphQL */ `
  query SessionTimeline($id: ID!, $bucket: TimelineBucket!) {
    session(id: $id) {
      id
      attendanceTimeline(bucket: $bucket) { startTime peakLiveViewers peakRecordingViewers joins leaves }
    }
  }
`;

export interface TimelineData {
  session: { id: string; attendanceTimeline: Bucket[] } | null;
}

export interface Registrant {
  eventTicketId: string;
  userId: string;
  firstName: string | null;
  lastName: string | null;
  email: string;
  phoneNumber: string | null;
  attended: boolean;
  registrationDate: string;
  registrationType: string;
  watchTimeSeconds: number;
  engagement: number;
}

export const REGISTRANTS = /* GraphQL */ `
  query Registrants(
    $id: ID!
    $first: Int!
    $after: String
    $search: String
    $attended: Boolean
    $orderBy: RegistrantOrder!
  ) {
    session(id: $id) {
      id
      registeredHolderUsers(first: $first, after: $after, search: $search, attended: $attended, orderBy: $orderBy) {
        totalCount
        nodes {
          eventTicketId userId firstName lastName email phoneNumber attended
          registrationDate registrationType watchTimeSeconds engagement
        }
        pageInfo { hasNextPage endCursor }
      }
    }
  }
`;

export interface RegistrantsData {
  session: {
    id: string;
    registeredHolderUsers: { totalCount: number; nodes: Registrant[]; pageInfo: PageInfo };
  } | null;
}

export const ENGAGEMENT = /* GraphQL */ `
  query Engagement($id: ID!, $first: Int!, $after: String) {
    session(id: $id) {
      id
      registeredHolderUsers(first: $first, after: $after) {
        totalCount
        nodes { engagement attended }
        pageInfo { hasNextPage endCursor }
      }
    }
  }
`;

export interface EngagementData {
  session: {
    id: string;
    registeredHolderUsers: {
      totalCount: number;
      nodes: { engagement: number; attended: boolean }[];
      pageInfo: PageInfo;
    };
  } | null;
}

export interface SessionLive {
  sessionId: string;
  concurrentViewers: number;
  joinsLastMinute: number;
  stats: Stats;
  videoAnalytics: VideoAnalytics;
  updatedAt: string;
}

export const SESSION_LIVE = /* GraphQL */ `
  subscription SessionLive($sessionId: ID!) {
    sessionLive(sessionId: $sessionId) {
      sessionId concurrentViewers joinsLastMinute updatedAt
      stats { registeredCount interestedCount attendeeCount }
      videoAnalytics { ${VIDEO} }
    }
  }
`;
