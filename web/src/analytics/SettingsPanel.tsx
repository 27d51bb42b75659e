// The session's settings, speakers, sponsors and video assets, as the host set them.
import type { ComponentChildren } from "preact";

import { fmt } from "./format";
import type { SessionDetail } from "./queries";
import { Section, Secret, YesNo } from "./ui";

function Row(props: { label: string; children: ComponentChildren }) {
  return (
    <div>
      <dt>{props.label}</dt>
      <dd>{props.children}</dd>
    </div>
  );
}

function Text(props: { value: string | number | null | undefined }) {
  return props.value == null || props.value === "" ? <span class="muted">—</span> : <>{props.value}</>;
}

function Url(props: { value: string | null }) {
  return props.value ? <code class="break">{props.value}</code> : <span class="muted">—</span>;
}

export function SettingsPanel(props: { session: SessionDetail }) {
  const s = props.session;
  return (
    <>
      <Section title="Settings" id="settings-title" description="How the session is run and shown to attendees.">
        <div class="settings">
          <div class="settings-group">
            <h3>Schedule and place</h3>
            <dl class="kv">
              <Row label="Starts">{fmt.dateTime(s.startTime)}</Row>
              <Row label="Ends">{fmt.dateTime(s.endTime)}</Row>
              <Row label="Location"><Text value={s.location} /></Row>
              <Row label="Capacity"><Text value={s.capacity == null ? null : fmt.int(s.capacity)} /></Row>
              <Row label="Format">{fmt.enumLabel(s.format)}</Row>
              <Row label="Visibility">{fmt.enumLabel(s.sessionVisibilityType)}</Row>
              <Row label="Hidden from attendees"><YesNo value={s.hideSessionFromAttendees} /></Row>
              <Row label="Join late for">{s.allowedMinutesToJoinLate == null ? <span class="muted">—</span> : `${s.allowedMinutesToJoinLate} min`}</Row>
            </dl>
          </div>
          <div class="settings-group">
            <h3>Streaming</h3>
            <dl class="kv">
              <Row label="Provider">{s.streamProvider ? fmt.enumLabel(s.streamProvider) : <span class="muted">—</span>}</Row>
              <Row label="Studio provider">{s.subStreamProvider ? fmt.enumLabel(s.subStreamProvider) : <span class="muted">—</span>}</Row>
              <Row label="Built-in studio"><YesNo value={s.accelEventsStudio} /></Row>
              <Row label="Stream URL"><Url value={s.streamUrl} /></Row>
              <Row label="RTMP URL"><Url value={s.rtmpUrl} /></Row>
              <Row label="Stream key"><Secret value={s.streamKey} label="stream key" /></Row>
              <Row label="Meeting password"><Secret value={s.meetingPassword} label="meeting password" /></Row>
              <Row label="Video length">{fmt.duration(s.duration)}</Row>
              <Row label="Recorded"><YesNo value={s.recordSession} /></Row>
              <Row label="Autoplay"><YesNo value={s.directVideoAutoStart} /></Row>
              <Row label="Video controls hidden"><YesNo value={s.hideVideoControls} /></Row>
            </dl>
          </div>
          <div class="settings-group">
            <h3>Attendee features</h3>
            <dl class="kv">
              <Row label="Chat"><YesNo value={s.enableChat} /></Row>
              <Row label="Q&amp;A"><YesNo value={s.enableQandA} /></Row>
              <Row label="Private questions"><YesNo value={s.qandAPrivate} /></Row>
              <Row label="Polls"><YesNo value={s.enablePoll} /></Row>
              <Row label="Attendee list"><YesNo value={s.enableAttendeeList} /></Row>
              <Row label="Donations"><YesNo value={s.displayDonation} /></Row>
            </dl>
            <h3>Captions</h3>
            <dl class="kv">
              <Row label="Caption feed"><Url value={s.closedCaptionUrl} /></Row>
              <Row label="Caption height">{s.closedCaptionHeight == null ? <span class="muted">—</span> : `${s.closedCaptionHeight} px`}</Row>
              <Row label="Subtitles file"><Url value={s.subTitleFileUrl} /></Row>
            </dl>
          </div>
        </div>
      </Section>

      <div class="grid-2">
        <Section title="Speakers" id="speakers-title">
          {s.speakers.length === 0 ? (
            <p class="empty">No speakers.</p>
          ) : (
            <ul class="people">
              {s.speakers.map((p) => (
                <li key={p.speakerId}>
                  <span class="person-avatar" aria-hidden="true">
                    {p.firstName.charAt(0)}
                    {p.lastName.charAt(0)}
                  </span>
                  <span>
                    <strong>
                      {p.firstName} {p.lastName}
                    </strong>
                    {p.pronouns && <span class="muted"> ({p.pronouns})</span>}
                    {p.moderator && <span class="badge badge-moderator">Moderator</span>}
                    <span class="person-sub">{[p.title, p.company].filter(Boolean).join(", ") || "—"}</span>
                    {p.ticketTypesForSpeaker.length > 0 && (
                      <span class="person-sub">Tickets: {p.ticketTypesForSpeaker.map((t) => `${t.name}${t.free ? " (free)" : ""}`).join(", ")}</span>
                    )}
                  </span>
                </li>
              ))}
            </ul>
          )}
        </Section>
        <Section title="Sponsors" id="sponsors-title">
          {s.sponsors.length === 0 ? (
            <p class="empty">No sponsors.</p>
          ) : (
            <ul class="sponsors">
              {s.sponsors.map((p) => (
                <li key={p.id}>
                  <strong>{p.name}</strong>
                  {p.size && <span class={`badge badge-size-${p.size.toLowerCase()}`}>{fmt.enumLabel(p.size)}</span>}
                  {p.website && <span class="person-sub break">{p.website}</span>}
                </li>
              ))}
            </ul>
          )}
        </Section>
      </div>

      <Section title="Video assets" id="assets-title" description="The session's Mux assets, oldest first.">
        {s.assetList.length === 0 ? (
          <p class="empty">No video assets.</p>
        ) : (
          <div class="table-scroll" tabIndex={0} role="region" aria-labelledby="assets-title">
            <table class="table">
              <thead>
                <tr>
                  <th scope="col">File</th>
                  <th scope="col">Asset id</th>
                  <th scope="col">Playback id</th>
                  <th scope="col" class="num">Length</th>
                  <th scope="col">Created</th>
                  <th scope="col">By</th>
                </tr>
              </thead>
              <tbody>
                {s.assetList.map((a) => (
                  <tr key={a.id}>
                    <th scope="row">{a.fileName ?? <span class="muted">(unnamed)</span>}</th>
                    <td><code>{a.assetId}</code></td>
                    <td>{a.playbackId ? <code>{a.playbackId}</code> : <span class="muted">—</span>}</td>
                    <td class="num">{fmt.duration(a.duration)}</td>
                    <td class="nowrap">{fmt.dateTime(a.createdAt)}</td>
                    <td>{a.createdBy ? [a.createdBy.firstName, a.createdBy.lastName].filter(Boolean).join(" ") || a.createdBy.email : <span class="muted">—</span>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Section>
    </>
  );
}
