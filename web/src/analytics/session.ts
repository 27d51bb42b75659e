// The signed-in viewer, shared with every view, and the hook that runs a query with
// their token (leaving them signed out when the server says the token is no good).
import { createContext, type RefObject } from "preact";
import { useContext, useEffect, useRef, useState } from "preact/hooks";

import { ApiError, graphql } from "./api";
import type { Auth } from "./auth";

export interface SessionContext {
  auth: Auth;
  signOut: (reason?: string) => void;
}

export const Signed = createContext<SessionContext | null>(null);

export function useSigned(): SessionContext {
  const context = useContext(Signed);
  if (!context) throw new Error("useSigned outside a signed-in view");
  return context;
}

export interface QueryState<T> {
  data: T | null;
  error: unknown;
  loading: boolean;
}

/**
 * Runs `query` whenever `key` (the variables, serialized) changes. The previous data
 * stays while the next loads, so tables do not jump; a stale answer is dropped.
 */
export function useQuery<T>(query: string, variables: Record<string, unknown>, enabled = true): QueryState<T> & { reload: () => void } {
  const { auth, signOut } = useSigned();
  const key = JSON.stringify(variables);
  const [state, setState] = useState<QueryState<T>>({ data: null, error: null, loading: enabled });
  const [round, setRound] = useState(0);
  const latest = useRef(0);

  useEffect(() => {
    if (!enabled) return;
    const id = ++latest.current;
    const controller = new AbortController();
    setState((previous) => ({ ...previous, loading: true, error: null }));
    graphql<T>(query, JSON.parse(key) as Record<string, unknown>, auth.token, controller.signal).then(
      (data) => {
        if (id === latest.current) setState({ data, error: null, loading: false });
      },
      (error: unknown) => {
        if (controller.signal.aborted || id !== latest.current) return;
        if (error instanceof ApiError && error.signedOut) {
          signOut("Your sign-in has expired. Please sign in again.");
          return;
        }
        setState((previous) => ({ data: previous.data, error, loading: false }));
      },
    );
    return () => controller.abort();
  }, [query, key, auth.token, enabled, round]);

  return { ...state, reload: () => setRound((n) => n + 1) };
}

/** `value`, once it has stopped changing for `delay` ms (search boxes). */
export function useDebounced<T>(value: T, delay = 300): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = window.setTimeout(() => setSettled(value), delay);
    return () => window.clearTimeout(timer);
  }, [value, delay]);
  return settled;
}

/** The width of an element, following resizes (charts draw at their real size). */
export function useWidth<E extends HTMLElement>(): [RefObject<E>, number] {
  const ref = useRef<E>(null);
  const [width, setWidth] = useState(0);
  useEffect(() => {
    const element = ref.current;
    if (!element) return;
    setWidth(element.clientWidth);
    const observer = new ResizeObserver((entries) => {
      for (const entry of entries) setWidth(Math.floor(entry.contentRect.width));
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  return [ref, width];
}

/**
 * Cursor paging that starts again at the first page whenever `filters` (the list's
 * order, search and filters, serialized) change: a cursor only continues its own list.
 */
export function usePaging(filters: string) {
  const [paging, setPaging] = useState<{ filters: string; cursors: (string | null)[] }>({ filters, cursors: [null] });
  const cursors = paging.filters === filters ? paging.cursors : [null];
  return {
    after: cursors[cursors.length - 1],
    index: cursors.length - 1,
    next: (cursor: string | null) => setPaging({ filters, cursors: [...cursors, cursor] }),
    previous: () => setPaging({ filters, cursors: cursors.slice(0, -1) }),
  };
}
