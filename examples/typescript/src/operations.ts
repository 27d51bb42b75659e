// The operations this client sends: login, the Analytics -> Sessions row view and the
// sessions table. Fragments belong to the code that renders them, as with any
// client-preset app; `getFragmentData` unmasks them where they are read.
import { graphql } from "./gql/index.js";

export const LoginMutation = graphql(`
  mutation Login($email: String!, $password: String!) {
    login(email: $email, password: $password) {
      token
      expiresAt
      viewer {
        userId
        email
        role
      }
    }
  }
`);

export const PageInfoFragment = graphql(`
  fragment PageInfoParts on PageInfo {
    hasPreviousPage
    hasNextPage
    startCursor
    endCursor
  }
`);

export const SessionStatsFragment = graphql(`
  fragment SessionStatsParts on SessionStats {
    registeredCount
    interestedCount
    attendeeCount
  }
`);

/** What the row view shows about the session itself: schedule, streaming settings, switches. */
export const SessionSettingsFragment = graphql(`
  fragment SessionSettings on Session {
    id
    eventId
    title
    startTime
    endTime
    location
    description
    capacity
    status
    format
    currentUserRegisteredEventTicketId
    purchaserUserRegisteredEventTicketId
    duration
    streamKey
    streamUrl
    streamProvider
    subStreamProvider
    rtmpUrl
    accelEventsStudio
    directVideoAutoStart
    meetingPassword
    closedCaptionHeight
    closedCaptionUrl
    subTitleFileUrl
    sessionVisibilityType
    allowedMinutesToJoinLate
    hideSessionFromAttendees
    enableQandA
    enableChat
    enablePoll
    displayDonation
    recordSession
    hideVideoControls
    enableAttendeeList
    qandAPrivate
  }
`);

export const SpeakerCardFragment = graphql(`
  fragment SpeakerCard on Speaker {
    speakerId
    userId
    firstName
    lastName
    email
    title
    company
    imageUrl
    pronouns
    bio
    linkedIn
    twitter
    instagram
    position
    moderator
    showModerator
    loggedInAtVEH
    deviceChecked
    allowOverrideDetails
    allowAttendeeAccess
    ticketTypesForSpeaker {
      id
      name
      free
    }
  }
`);

export const SponsorLogoFragment = graphql(`
  fragment SponsorLogo on Sponsor {
    id
    name
    logoUrl
    website
    size
    position
  }
`);

export const MuxAssetFragment = graphql(`
  fragment MuxAssetParts on MuxAsset {
    id
    assetId
    playbackId
    fileName
    duration
    createdAt
    createdBy {
      userId
      firstName
      lastName
      email
    }
  }
`);

export const RegistrantRowFragment = graphql(`
  fragment RegistrantRow on RegisteredHolderUser {
    eventTicketId
    userId
    firstName
    lastName
    email
    phoneNumber
    attended
    registrationDate
    registrationType
    watchTimeSeconds
    engagement
  }
`);

/** Everything the Analytics -> Sessions row view shows, with one page of registrants. */
export const SessionDetailsQuery = graphql(`
  query SessionDetails(
    $id: ID!
    $registrantsFirst: Int!
    $registrantsAfter: String
    $registrantsOrder: RegistrantOrder = REGISTRATION_DATE_ASC
  ) {
    session(id: $id) {
      ...SessionSettings
      stats {
        ...SessionStatsParts
      }
      attendeeCount
      speakers {
        ...SpeakerCard
      }
      sponsors {
        ...SponsorLogo
      }
      assetList {
        ...MuxAssetParts
      }
      registeredHolderUsers(
        first: $registrantsFirst
        after: $registrantsAfter
        orderBy: $registrantsOrder
      ) {
        totalCount
        pageInfo {
          ...PageInfoParts
        }
        edges {
          cursor
          node {
            ...RegistrantRow
          }
        }
      }
    }
  }
`);

/** One row of the Analytics -> Sessions table. */
export const SessionRowFragment = graphql(`
  fragment SessionRow on Session {
    id
    title
    format
    startTime
    endTime
    location
    capacity
    duration
    attendeeCount
    stats {
      ...SessionStatsParts
    }
  }
`);

/** The Analytics -> Sessions table of an event, a page at a time. */
export const SessionsTableQuery = graphql(`
  query SessionsTable(
    $eventId: ID!
    $first: Int!
    $after: String
    $search: String
    $format: SessionFormat
  ) {
    event(id: $eventId) {
      id
      name
      sessions(first: $first, after: $after, search: $search, format: $format) {
        totalCount
        pageInfo {
          ...PageInfoParts
        }
        edges {
          cursor
          node {
            ...SessionRow
          }
        }
      }
    }
  }
`);
