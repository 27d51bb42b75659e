// The signed-in viewer. The token lives in sessionStorage: it survives a reload of
// this tab but not the tab itself, is not shared with other tabs, and is dropped the
// moment it expires (see SECURITY.md).

export interface Viewer {
  userId: string;
  email: string;
  firstName: string | null;
  lastName: string | null;
  role: string;
}

export interface Auth {
  token: string;
  expiresAt: string;
  viewer: Viewer;
}

const KEY = "session-analytics.auth";

export function loadAuth(): Auth | null {
  try {
    const raw = window.sessionStorage.getItem(KEY);
    if (!raw) return null;
    const auth = JSON.parse(raw) as Auth;
    if (!auth.token || !auth.expiresAt || Date.parse(auth.expiresAt) <= Date.now()) {
      window.sessionStorage.removeItem(KEY);
      return null;
    }
    return auth;
  } catch {
    return null;
  }
}

export function saveAuth(auth: Auth | null): void {
  try {
    if (auth) window.sessionStorage.setItem(KEY, JSON.stringify(auth));
    else window.sessionStorage.removeItem(KEY);
  } catch {
    // Storage may be disabled: the sign-in then lasts until the page is reloaded.
  }
}

export function displayName(viewer: Viewer): string {
  const name = [viewer.firstName, viewer.lastName].filter(Boolean).join(" ");
  return name || viewer.email;
}

export function roleLabel(role: string): string {
  return role
    .toLowerCase()
    .split("_")
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join(" ");
}
