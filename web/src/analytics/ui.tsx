// Small building blocks shared by the views.
import type { ComponentChildren, JSX } from "preact";
import { useState } from "preact/hooks";

import { ApiError, downloadCsv, explain } from "./api";
import { follow } from "./router";
import { useSigned } from "./session";

export function Link(props: { href: string; class?: string; children: ComponentChildren; "aria-current"?: "page" }) {
  return (
    <a href={props.href} class={props.class} aria-current={props["aria-current"]} onClick={(event) => follow(event, props.href)}>
      {props.children}
    </a>
  );
}

export function Spinner(props: { label?: string }) {
  return (
    <span class="spinner" role="status">
      <span class="spinner-dot" aria-hidden="true" />
      <span>{props.label ?? "Loading…"}</span>
    </span>
  );
}

export function ErrorNote(props: { error: unknown; onRetry?: () => void }) {
  if (!props.error) return null;
  const code = props.error instanceof ApiError ? props.error.code : null;
  return (
    <div class="note note-error" role="alert">
      <p>
        {explain(props.error)}
        {code && <span class="note-code"> ({code})</span>}
      </p>
      {props.onRetry && (
        <button type="button" class="button button-small" onClick={props.onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Figure(props: { label: string; value: string; hint?: string; tone?: "live" | "accent"; flash?: boolean; testId?: string }) {
  return (
    <div class={`figure${props.tone ? ` figure-${props.tone}` : ""}${props.flash ? " flash" : ""}`} data-testid={props.testId}>
      <dt>{props.label}</dt>
      <dd>
        <span class="figure-value">{props.value}</span>
        {props.hint && <span class="figure-hint">{props.hint}</span>}
      </dd>
    </div>
  );
}

export function Section(props: { title: string; id: string; actions?: ComponentChildren; children: ComponentChildren; description?: string; class?: string }) {
  return (
    <section class={`card${props.class ? ` ${props.class}` : ""}`} aria-labelledby={props.id}>
      <header class="card-header">
        <div>
          <h2 id={props.id}>{props.title}</h2>
          {props.description && <p class="card-description">{props.description}</p>}
        </div>
        {props.actions && <div class="card-actions">{props.actions}</div>}
      </header>
      {props.children}
    </section>
  );
}

/** A "1–20 of 57" line with Previous and Next, over a cursor-paged list. */
export function Pager(props: {
  label: string;
  start: number;
  count: number;
  total: number;
  hasPrevious: boolean;
  hasNext: boolean;
  onPrevious: () => void;
  onNext: () => void;
  busy?: boolean;
}) {
  const first = props.count === 0 ? 0 : props.start + 1;
  const last = props.start + props.count;
  return (
    <nav class="pager" aria-label={`${props.label} pages`}>
      <p class="pager-range" aria-live="polite">
        {props.total === 0 ? "No results" : (
          <>
            <strong>{first.toLocaleString()}</strong>–<strong>{last.toLocaleString()}</strong> of{" "}
            <strong>{props.total.toLocaleString()}</strong>
          </>
        )}
      </p>
      <div class="pager-buttons">
        <button type="button" class="button button-small" disabled={!props.hasPrevious || props.busy} onClick={props.onPrevious}>
          <span aria-hidden="true">‹</span> Previous
        </button>
        <button type="button" class="button button-small" disabled={!props.hasNext || props.busy} onClick={props.onNext}>
          Next <span aria-hidden="true">›</span>
        </button>
      </div>
    </nav>
  );
}

export type SortDirection = "ascending" | "descending";

/** A column header that sorts: a button inside the <th>, with aria-sort on the cell. */
export function SortHeader(props: {
  label: string;
  active: boolean;
  direction: SortDirection;
  onSort: () => void;
  numeric?: boolean;
  class?: string;
}) {
  return (
    <th scope="col" aria-sort={props.active ? props.direction : "none"} class={`${props.numeric ? "num" : ""} ${props.class ?? ""}`}>
      <button type="button" class="sort" onClick={props.onSort}>
        {props.label}
        <span class={`sort-icon${props.active ? " active" : ""}`} aria-hidden="true">
          {props.active ? (props.direction === "ascending" ? "▲" : "▼") : "↕"}
        </span>
      </button>
    </th>
  );
}

/** Fetches a CSV export with the token and saves it. */
export function DownloadButton(props: { path: string; fileName: string; label: string; testId?: string }) {
  const { auth, signOut } = useSigned();
  const [state, setState] = useState<{ busy: boolean; error: unknown; done?: string }>({ busy: false, error: null });
  const click = async () => {
    setState({ busy: true, error: null });
    try {
      const name = await downloadCsv(props.path, props.fileName, auth.token);
      setState({ busy: false, error: null, done: name });
    } catch (error) {
      if (error instanceof ApiError && error.signedOut) {
        signOut("Your sign-in has expired. Please sign in again.");
        return;
      }
      setState({ busy: false, error });
    }
  };
  return (
    <div class="download">
      <button type="button" class="button" onClick={click} disabled={state.busy} data-testid={props.testId}>
        <DownloadIcon />
        {state.busy ? "Preparing…" : props.label}
      </button>
      <span class="visually-hidden" aria-live="polite">
        {state.done ? `Downloaded ${state.done}` : ""}
      </span>
      {state.error ? (
        <span class="download-error" role="alert">
          {explain(state.error)}
        </span>
      ) : null}
    </div>
  );
}

function DownloadIcon() {
  return (
    <svg class="icon" viewBox="0 0 20 20" aria-hidden="true" focusable="false">
      <path d="M10 3v9m0 0-3.5-3.5M10 12l3.5-3.5M4 14v2h12v-2" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round" />
    </svg>
  );
}

export function YesNo(props: { value: boolean }) {
  return <span class={`yesno ${props.value ? "yes" : "no"}`}>{props.value ? "On" : "Off"}</span>;
}

/** A secret (stream key, meeting password) hidden until the host asks to see it. */
export function Secret(props: { value: string | null; label: string }) {
  const [shown, setShown] = useState(false);
  if (!props.value) return <span class="muted">—</span>;
  return (
    <span class="secret">
      <code>{shown ? props.value : "•".repeat(Math.min(16, props.value.length))}</code>
      <button type="button" class="link-button" onClick={() => setShown(!shown)} aria-label={`${shown ? "Hide" : "Show"} ${props.label}`}>
        {shown ? "Hide" : "Show"}
      </button>
    </span>
  );
}

export function Select(props: {
  label: string;
  value: string;
  options: [string, string][];
  onChange: (value: string) => void;
  id: string;
  class?: string;
}) {
  return (
    <div class={`field${props.class ? ` ${props.class}` : ""}`}>
      <label for={props.id}>{props.label}</label>
      <select id={props.id} value={props.value} onChange={(event) => props.onChange((event.target as HTMLSelectElement).value)}>
        {props.options.map(([value, label]) => (
          <option value={value} key={value}>
            {label}
          </option>
        ))}
      </select>
    </div>
  );
}

export function SearchField(props: { id: string; label: string; value: string; placeholder: string; onInput: (value: string) => void }) {
  return (
    <div class="field field-search">
      <label for={props.id}>{props.label}</label>
      <input
        id={props.id}
        type="search"
        value={props.value}
        placeholder={props.placeholder}
        autocomplete="off"
        spellcheck={false}
        onInput={(event: JSX.TargetedEvent<HTMLInputElement>) => props.onInput(event.currentTarget.value)}
      />
    </div>
  );
}
