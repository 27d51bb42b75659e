// The session's registered ticket holders: paged, searchable, filtered and ordered
// by the server (`registeredHolderUsers`).
import { useEffect, useState } from "preact/hooks";

import { fmt } from "./format";
import { REGISTRANTS, type RegistrantsData } from "./queries";
import { useDebounced, usePaging, useQuery } from "./session";
import { ErrorNote, Pager, SearchField, Section, Select, Spinner } from "./ui";

const ORDERS: [string, string][] = [
  ["REGISTRATION_DATE_ASC", "Registration date, oldest first"],
  ["REGISTRATION_DATE_DESC", "Registration date, newest first"],
  ["LAST_NAME_ASC", "Last name, A to Z"],
  ["ENGAGEMENT_DESC", "Engagement, highest first"],
];

const ATTENDANCE: [string, string][] = [
  ["", "Everyone"],
  ["true", "Attended"],
  ["false", "Did not attend"],
];

const PAGE_SIZES: [string, string][] = [["10", "10"], ["25", "25"], ["50", "50"], ["100", "100"]];

export function RegistrantsTable(props: { sessionId: string }) {
  const [search, setSearch] = useState("");
  const [attended, setAttended] = useState("");
  const [orderBy, setOrderBy] = useState("REGISTRATION_DATE_ASC");
  const [pageSize, setPageSize] = useState(10);
  const settled = useDebounced(search.trim());
  const paging = usePaging(JSON.stringify([settled, attended, orderBy, pageSize]));
  const { data, error, loading, reload } = useQuery<RegistrantsData>(REGISTRANTS, {
    id: props.sessionId,
    first: pageSize,
    after: paging.after,
    search: settled || null,
    attended: attended === "" ? null : attended === "true",
    orderBy,
  });
  const list = data?.session?.registeredHolderUsers;
  // The page the rows on screen belong to (the next one is loading meanwhile).
  const [shownIndex, setShownIndex] = useState(0);
  useEffect(() => {
    if (data) setShownIndex(paging.index);
  }, [data]);

  return (
    <Section title="Registrants" id="registrants-title" description="Ticket holders who registered for or bookmarked the session.">
      <div class="toolbar">
        <SearchField id="registrant-search" label="Search" value={search} placeholder="Name or email" onInput={setSearch} />
        <Select id="registrant-attended" label="Attendance" value={attended} options={ATTENDANCE} onChange={setAttended} />
        <Select id="registrant-page-size" label="Rows" value={String(pageSize)} options={PAGE_SIZES} onChange={(v) => setPageSize(Number(v))} />
        <Select id="registrant-order" label="Order" value={orderBy} options={ORDERS} onChange={setOrderBy} class="field-wide" />
        {loading && <Spinner label="Updating…" />}
      </div>
      <ErrorNote error={error} onRetry={reload} />
      {list && (
        <>
          <div class="table-scroll" tabIndex={0} role="region" aria-labelledby="registrants-title">
            <table class="table table-cards" data-testid="registrants-table">
              <caption class="visually-hidden">Registrants, {ORDERS.find(([value]) => value === orderBy)?.[1]}</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Email</th>
                  <th scope="col">Phone</th>
                  <th scope="col">Type</th>
                  <th scope="col">Registered</th>
                  <th scope="col">Attended</th>
                  <th scope="col" class="num">Watch time</th>
                  <th scope="col" class="num">Engagement</th>
                </tr>
              </thead>
              <tbody>
                {list.nodes.map((r) => (
                  <tr key={`${r.eventTicketId}`}>
                    <th scope="row" class="nowrap">
                      {[r.firstName, r.lastName].filter(Boolean).join(" ") || <span class="muted">(no name)</span>}
                    </th>
                    <td class="cell-email" data-label="Email">{r.email}</td>
                    <td class="nowrap" data-label="Phone">{r.phoneNumber ?? <span class="muted">—</span>}</td>
                    <td data-label="Type">
                      <span class={`badge badge-${r.registrationType.toLowerCase()}`}>{fmt.enumLabel(r.registrationType)}</span>
                    </td>
                    <td class="nowrap" data-label="Registered">{fmt.date(r.registrationDate)}</td>
                    <td data-label="Attended">
                      <span class={`yesno ${r.attended ? "yes" : "no"}`}>{r.attended ? "Yes" : "No"}</span>
                    </td>
                    <td class="num" data-label="Watch time">{fmt.duration(r.watchTimeSeconds)}</td>
                    <td class="num" data-label="Engagement">
                      <span class="meter" aria-hidden="true">
                        <span class="meter-fill" style={{ width: `${Math.min(100, Math.max(0, r.engagement))}%` }} />
                      </span>
                      {fmt.dec(r.engagement)} %
                    </td>
                  </tr>
                ))}
                {list.nodes.length === 0 && (
                  <tr>
                    <td colSpan={8} class="empty">
                      No registrant matches{settled ? ` “${settled}”` : ""}.
                    </td>
                  </tr>
                )}
              </tbody>
            </table>
          </div>
          <Pager
            label="Registrants"
            start={shownIndex * pageSize}
            count={list.nodes.length}
            total={list.totalCount}
            hasPrevious={paging.index > 0}
            hasNext={list.pageInfo.hasNextPage}
            busy={loading}
            onPrevious={paging.previous}
            onNext={() => paging.next(list.pageInfo.endCursor)}
          />
        </>
      )}
      {!list && loading && <Spinner label="Loading registrants…" />}
    </Section>
  );
}
