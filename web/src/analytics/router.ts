// Client-side routes under /analytics; the server answers every /analytics/... path
// with this page, so a reload or a shared link lands where it was.
import { useEffect, useState } from "preact/hooks";

export const BASE = "/analytics";

export type Route =
  | { name: "events" }
  | { name: "event"; id: string }
  | { name: "session"; id: string }
  | { name: "notFound" };

export function parse(pathname: string): Route {
  const rest = pathname.startsWith(BASE) ? pathname.slice(BASE.length) : pathname;
  const parts = rest.split("/").filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0) return { name: "events" };
  if (parts.length === 2 && parts[0] === "events") return { name: "event", id: parts[1] };
  if (parts.length === 2 && parts[0] === "sessions") return { name: "session", id: parts[1] };
  return { name: "notFound" };
}

export const href = {
  events: () => `${BASE}`,
  event: (id: string) => `${BASE}/events/${encodeURIComponent(id)}`,
  session: (id: string) => `${BASE}/sessions/${encodeURIComponent(id)}`,
};

const listeners = new Set<() => void>();

export function navigate(to: string): void {
  if (to === window.location.pathname) return;
  window.history.pushState(null, "", to);
  listeners.forEach((listener) => listener());
  window.scrollTo(0, 0);
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parse(window.location.pathname));
  useEffect(() => {
    const update = () => setRoute(parse(window.location.pathname));
    listeners.add(update);
    window.addEventListener("popstate", update);
    return () => {
      listeners.delete(update);
      window.removeEventListener("popstate", update);
    };
  }, []);
  return route;
}

/** A link's click handler: in-page navigation, unless the user asked for a new tab. */
export function follow(event: MouseEvent, to: string): void {
  if (event.defaultPrevented || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  navigate(to);
}
