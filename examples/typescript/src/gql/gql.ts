/* eslint-disable */
import * as types from './graphql.js';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  mutation Login($email: String!, $password: String!) {\n    login(email: $email, password: $password) {\n      token\n      expiresAt\n      viewer {\n        userId\n        email\n        role\n      }\n    }\n  }\n": typeof types.LoginDocument,
    "\n  fragment PageInfoParts on PageInfo {\n    hasPreviousPage\n    hasNextPage\n    startCursor\n    endCursor\n  }\n": typeof types.PageInfoPartsFragmentDoc,
    "\n  fragment SessionStatsParts on SessionStats {\n    registeredCount\n    interestedCount\n    attendeeCount\n  }\n": typeof types.SessionStatsPartsFragmentDoc,
    "\n  fragment SessionSettings on Session {\n    id\n    eventId\n    title\n    startTime\n    endTime\n    location\n    description\n    capacity\n    status\n    format\n    currentUserRegisteredEventTicketId\n    purchaserUserRegisteredEventTicketId\n    duration\n    streamKey\n    streamUrl\n    streamProvider\n    subStreamProvider\n    rtmpUrl\n    accelEventsStudio\n    directVideoAutoStart\n    meetingPassword\n    closedCaptionHeight\n    closedCaptionUrl\n    subTitleFileUrl\n    sessionVisibilityType\n    allowedMinutesToJoinLate\n    hideSessionFromAttendees\n    enableQandA\n    enableChat\n    enablePoll\n    displayDonation\n    recordSession\n    hideVideoControls\n    enableAttendeeList\n    qandAPrivate\n  }\n": typeof types.SessionSettingsFragmentDoc,
    "\n  fragment SpeakerCard on Speaker {\n    speakerId\n    userId\n    firstName\n    lastName\n    email\n    title\n    company\n    imageUrl\n    pronouns\n    bio\n    linkedIn\n    twitter\n    instagram\n    position\n    moderator\n    showModerator\n    loggedInAtVEH\n    deviceChecked\n    allowOverrideDetails\n    allowAttendeeAccess\n    ticketTypesForSpeaker {\n      id\n      name\n      free\n    }\n  }\n": typeof types.SpeakerCardFragmentDoc,
    "\n  fragment SponsorLogo on Sponsor {\n    id\n    name\n    logoUrl\n    website\n    size\n    position\n  }\n": typeof types.SponsorLogoFragmentDoc,
    "\n  fragment MuxAssetParts on MuxAsset {\n    id\n    assetId\n    playbackId\n    fileName\n    duration\n    createdAt\n    createdBy {\n      userId\n      firstName\n      lastName\n      email\n    }\n  }\n": typeof types.MuxAssetPartsFragmentDoc,
    "\n  fragment RegistrantRow on RegisteredHolderUser {\n    eventTicketId\n    userId\n    firstName\n    lastName\n    email\n    phoneNumber\n    attended\n    registrationDate\n    registrationType\n    watchTimeSeconds\n    engagement\n  }\n": typeof types.RegistrantRowFragmentDoc,
    "\n  query SessionDetails(\n    $id: ID!\n    $registrantsFirst: Int!\n    $registrantsAfter: String\n    $registrantsOrder: RegistrantOrder = REGISTRATION_DATE_ASC\n  ) {\n    session(id: $id) {\n      ...SessionSettings\n      stats {\n        ...SessionStatsParts\n      }\n      attendeeCount\n      speakers {\n        ...SpeakerCard\n      }\n      sponsors {\n        ...SponsorLogo\n      }\n      assetList {\n        ...MuxAssetParts\n      }\n      registeredHolderUsers(\n        first: $registrantsFirst\n        after: $registrantsAfter\n        orderBy: $registrantsOrder\n      ) {\n        totalCount\n        pageInfo {\n          ...PageInfoParts\n        }\n        edges {\n          cursor\n          node {\n            ...RegistrantRow\n          }\n        }\n      }\n    }\n  }\n": typeof types.SessionDetailsDocument,
    "\n  fragment SessionRow on Session {\n    id\n    title\n    format\n    startTime\n    endTime\n    location\n    capacity\n    duration\n    attendeeCount\n    stats {\n      ...SessionStatsParts\n    }\n  }\n": typeof types.SessionRowFragmentDoc,
    "\n  query SessionsTable(\n    $eventId: ID!\n    $first: Int!\n    $after: String\n    $search: String\n    $format: SessionFormat\n  ) {\n    event(id: $eventId) {\n      id\n      name\n      sessions(first: $first, after: $after, search: $search, format: $format) {\n        totalCount\n        pageInfo {\n          ...PageInfoParts\n        }\n        edges {\n          cursor\n          node {\n            ...SessionRow\n          }\n        }\n      }\n    }\n  }\n": typeof types.SessionsTableDocument,
};
const documents: Documents = {
    "\n  mutation Login($email: String!, $password: String!) {\n    login(email: $email, password: $password) {\n      token\n      expiresAt\n      viewer {\n        userId\n        email\n        role\n      }\n    }\n  }\n": types.LoginDocument,
    "\n  fragment PageInfoParts on PageInfo {\n    hasPreviousPage\n    hasNextPage\n    startCursor\n    endCursor\n  }\n": types.PageInfoPartsFragmentDoc,
    "\n  fragment SessionStatsParts on SessionStats {\n    registeredCount\n    interestedCount\n    attendeeCount\n  }\n": types.SessionStatsPartsFragmentDoc,
    "\n  fragment SessionSettings on Session {\n    id\n    eventId\n    title\n    startTime\n    endTime\n    location\n    description\n    capacity\n    status\n    format\n    currentUserRegisteredEventTicketId\n    purchaserUserRegisteredEventTicketId\n    duration\n    streamKey\n    streamUrl\n    streamProvider\n    subStreamProvider\n    rtmpUrl\n    accelEventsStudio\n    directVideoAutoStart\n    meetingPassword\n    closedCaptionHeight\n    closedCaptionUrl\n    subTitleFileUrl\n    sessionVisibilityType\n    allowedMinutesToJoinLate\n    hideSessionFromAttendees\n    enableQandA\n    enableChat\n    enablePoll\n    displayDonation\n    recordSession\n    hideVideoControls\n    enableAttendeeList\n    qandAPrivate\n  }\n": types.SessionSettingsFragmentDoc,
    "\n  fragment SpeakerCard on Speaker {\n    speakerId\n    userId\n    firstName\n    lastName\n    email\n    title\n    company\n    imageUrl\n    pronouns\n    bio\n    linkedIn\n    twitter\n    instagram\n    position\n    moderator\n    showModerator\n    loggedInAtVEH\n    deviceChecked\n    allowOverrideDetails\n    allowAttendeeAccess\n    ticketTypesForSpeaker {\n      id\n      name\n      free\n    }\n  }\n": types.SpeakerCardFragmentDoc,
    "\n  fragment SponsorLogo on Sponsor {\n    id\n    name\n    logoUrl\n    website\n    size\n    position\n  }\n": types.SponsorLogoFragmentDoc,
    "\n  fragment MuxAssetParts on MuxAsset {\n    id\n    assetId\n    playbackId\n    fileName\n    duration\n    createdAt\n    createdBy {\n      userId\n      firstName\n      lastName\n      email\n    }\n  }\n": types.MuxAssetPartsFragmentDoc,
    "\n  fragment RegistrantRow on RegisteredHolderUser {\n    eventTicketId\n    userId\n    firstName\n    lastName\n    email\n    phoneNumber\n    attended\n    registrationDate\n    registrationType\n    watchTimeSeconds\n    engagement\n  }\n": types.RegistrantRowFragmentDoc,
    "\n  query SessionDetails(\n    $id: ID!\n    $registrantsFirst: Int!\n    $registrantsAfter: String\n    $registrantsOrder: RegistrantOrder = REGISTRATION_DATE_ASC\n  ) {\n    session(id: $id) {\n      ...SessionSettings\n      stats {\n        ...SessionStatsParts\n      }\n      attendeeCount\n      speakers {\n        ...SpeakerCard\n      }\n      sponsors {\n        ...SponsorLogo\n      }\n      assetList {\n        ...MuxAssetParts\n      }\n      registeredHolderUsers(\n        first: $registrantsFirst\n        after: $registrantsAfter\n        orderBy: $registrantsOrder\n      ) {\n        totalCount\n        pageInfo {\n          ...PageInfoParts\n        }\n        edges {\n          cursor\n          node {\n            ...RegistrantRow\n          }\n        }\n      }\n    }\n  }\n": types.SessionDetailsDocument,
    "\n  fragment SessionRow on Session {\n    id\n    title\n    format\n    startTime\n    endTime\n    location\n    capacity\n    duration\n    attendeeCount\n    stats {\n      ...SessionStatsParts\n    }\n  }\n": types.SessionRowFragmentDoc,
    "\n  query SessionsTable(\n    $eventId: ID!\n    $first: Int!\n    $after: String\n    $search: String\n    $format: SessionFormat\n  ) {\n    event(id: $eventId) {\n      id\n      name\n      sessions(first: $first, after: $after, search: $search, format: $format) {\n        totalCount\n        pageInfo {\n          ...PageInfoParts\n        }\n        edges {\n          cursor\n          node {\n            ...SessionRow\n          }\n        }\n      }\n    }\n  }\n": types.SessionsTableDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Login($email: String!, $password: String!) {\n    login(email: $email, password: $password) {\n      token\n      expiresAt\n      viewer {\n        userId\n        email\n        role\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation Login($email: String!, $password: String!) {\n    login(email: $email, password: $password) {\n      token\n      expiresAt\n      viewer {\n        userId\n        email\n        role\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment PageInfoParts on PageInfo {\n    hasPreviousPage\n    hasNextPage\n    startCursor\n    endCursor\n  }\n"): (typeof documents)["\n  fragment PageInfoParts on PageInfo {\n    hasPreviousPage\n    hasNextPage\n    startCursor\n    endCursor\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment SessionStatsParts on SessionStats {\n    registeredCount\n    interestedCount\n    attendeeCount\n  }\n"): (typeof documents)["\n  fragment SessionStatsParts on SessionStats {\n    registeredCount\n    interestedCount\n    attendeeCount\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment SessionSettings on Session {\n    id\n    eventId\n    title\n    startTime\n    endTime\n    location\n    description\n    capacity\n    status\n    format\n    currentUserRegisteredEventTicketId\n    purchaserUserRegisteredEventTicketId\n    duration\n    streamKey\n    streamUrl\n    streamProvider\n    subStreamProvider\n    rtmpUrl\n    accelEventsStudio\n    directVideoAutoStart\n    meetingPassword\n    closedCaptionHeight\n    closedCaptionUrl\n    subTitleFileUrl\n    sessionVisibilityType\n    allowedMinutesToJoinLate\n    hideSessionFromAttendees\n    enableQandA\n    enableChat\n    enablePoll\n    displayDonation\n    recordSession\n    hideVideoControls\n    enableAttendeeList\n    qandAPrivate\n  }\n"): (typeof documents)["\n  fragment SessionSettings on Session {\n    id\n    eventId\n    title\n    startTime\n    endTime\n    location\n    description\n    capacity\n    status\n    format\n    currentUserRegisteredEventTicketId\n    purchaserUserRegisteredEventTicketId\n    duration\n    streamKey\n    streamUrl\n    streamProvider\n    subStreamProvider\n    rtmpUrl\n    accelEventsStudio\n    directVideoAutoStart\n    meetingPassword\n    closedCaptionHeight\n    closedCaptionUrl\n    subTitleFileUrl\n    sessionVisibilityType\n    allowedMinutesToJoinLate\n    hideSessionFromAttendees\n    enableQandA\n    enableChat\n    enablePoll\n    displayDonation\n    recordSession\n    hideVideoControls\n    enableAttendeeList\n    qandAPrivate\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment SpeakerCard on Speaker {\n    speakerId\n    userId\n    firstName\n    lastName\n    email\n    title\n    company\n    imageUrl\n    pronouns\n    bio\n    linkedIn\n    twitter\n    instagram\n    position\n    moderator\n    showModerator\n    loggedInAtVEH\n    deviceChecked\n    allowOverrideDetails\n    allowAttendeeAccess\n    ticketTypesForSpeaker {\n      id\n      name\n      free\n    }\n  }\n"): (typeof documents)["\n  fragment SpeakerCard on Speaker {\n    speakerId\n    userId\n    firstName\n    lastName\n    email\n    title\n    company\n    imageUrl\n    pronouns\n    bio\n    linkedIn\n    twitter\n    instagram\n    position\n    moderator\n    showModerator\n    loggedInAtVEH\n    deviceChecked\n    allowOverrideDetails\n    allowAttendeeAccess\n    ticketTypesForSpeaker {\n      id\n      name\n      free\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment SponsorLogo on Sponsor {\n    id\n    name\n    logoUrl\n    website\n    size\n    position\n  }\n"): (typeof documents)["\n  fragment SponsorLogo on Sponsor {\n    id\n    name\n    logoUrl\n    website\n    size\n    position\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment MuxAssetParts on MuxAsset {\n    id\n    assetId\n    playbackId\n    fileName\n    duration\n    createdAt\n    createdBy {\n      userId\n      firstName\n      lastName\n      email\n    }\n  }\n"): (typeof documents)["\n  fragment MuxAssetParts on MuxAsset {\n    id\n    assetId\n    playbackId\n    fileName\n    duration\n    createdAt\n    createdBy {\n      userId\n      firstName\n      lastName\n      email\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment RegistrantRow on RegisteredHolderUser {\n    eventTicketId\n    userId\n    firstName\n    lastName\n    email\n    phoneNumber\n    attended\n    registrationDate\n    registrationType\n    watchTimeSeconds\n    engagement\n  }\n"): (typeof documents)["\n  fragment RegistrantRow on RegisteredHolderUser {\n    eventTicketId\n    userId\n    firstName\n    lastName\n    email\n    phoneNumber\n    attended\n    registrationDate\n    registrationType\n    watchTimeSeconds\n    engagement\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query SessionDetails(\n    $id: ID!\n    $registrantsFirst: Int!\n    $registrantsAfter: String\n    $registrantsOrder: RegistrantOrder = REGISTRATION_DATE_ASC\n  ) {\n    session(id: $id) {\n      ...SessionSettings\n      stats {\n        ...SessionStatsParts\n      }\n      attendeeCount\n      speakers {\n        ...SpeakerCard\n      }\n      sponsors {\n        ...SponsorLogo\n      }\n      assetList {\n        ...MuxAssetParts\n      }\n      registeredHolderUsers(\n        first: $registrantsFirst\n        after: $registrantsAfter\n        orderBy: $registrantsOrder\n      ) {\n        totalCount\n        pageInfo {\n          ...PageInfoParts\n        }\n        edges {\n          cursor\n          node {\n            ...RegistrantRow\n          }\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query SessionDetails(\n    $id: ID!\n    $registrantsFirst: Int!\n    $registrantsAfter: String\n    $registrantsOrder: RegistrantOrder = REGISTRATION_DATE_ASC\n  ) {\n    session(id: $id) {\n      ...SessionSettings\n      stats {\n        ...SessionStatsParts\n      }\n      attendeeCount\n      speakers {\n        ...SpeakerCard\n      }\n      sponsors {\n        ...SponsorLogo\n      }\n      assetList {\n        ...MuxAssetParts\n      }\n      registeredHolderUsers(\n        first: $registrantsFirst\n        after: $registrantsAfter\n        orderBy: $registrantsOrder\n      ) {\n        totalCount\n        pageInfo {\n          ...PageInfoParts\n        }\n        edges {\n          cursor\n          node {\n            ...RegistrantRow\n          }\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment SessionRow on Session {\n    id\n    title\n    format\n    startTime\n    endTime\n    location\n    capacity\n    duration\n    attendeeCount\n    stats {\n      ...SessionStatsParts\n    }\n  }\n"): (typeof documents)["\n  fragment SessionRow on Session {\n    id\n    title\n    format\n    startTime\n    endTime\n    location\n    capacity\n    duration\n    attendeeCount\n    stats {\n      ...SessionStatsParts\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query SessionsTable(\n    $eventId: ID!\n    $first: Int!\n    $after: String\n    $search: String\n    $format: SessionFormat\n  ) {\n    event(id: $eventId) {\n      id\n      name\n      sessions(first: $first, after: $after, search: $search, format: $format) {\n        totalCount\n        pageInfo {\n          ...PageInfoParts\n        }\n        edges {\n          cursor\n          node {\n            ...SessionRow\n          }\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query SessionsTable(\n    $eventId: ID!\n    $first: Int!\n    $after: String\n    $search: String\n    $format: SessionFormat\n  ) {\n    event(id: $eventId) {\n      id\n      name\n      sessions(first: $first, after: $after, search: $search, format: $format) {\n        totalCount\n        pageInfo {\n          ...PageInfoParts\n        }\n        edges {\n          cursor\n          node {\n            ...SessionRow\n          }\n        }\n      }\n    }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;