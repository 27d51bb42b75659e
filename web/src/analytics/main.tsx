// The hosts' analytics page at /analytics: sign in, pick an event, open a session.
import "./styles.css";

import { render } from "preact";
import { useCallback, useEffect, useMemo, useState } from "preact/hooks";

import { loadAuth, saveAuth, type Auth } from "./auth";
import { EventView } from "./EventView";
import { EventsView } from "./EventsView";
import { useRoute } from "./router";
import { SessionView } from "./SessionView";
import { Shell } from "./Shell";
import { Signed } from "./session";
import { SignIn } from "./SignIn";
import { Link } from "./ui";

function App() {
  const [auth, setAuth] = useState<Auth | null>(() => loadAuth());
  const [notice, setNotice] = useState<string | undefined>();
  const route = useRoute();

  const signOut = useCallback((reason?: string) => {
    saveAuth(null);
    setNotice(reason);
    setAuth(null);
  }, []);

  // Back to the sign-in form the moment the token expires.
  useEffect(() => {
    if (!auth) return;
    const left = Date.parse(auth.expiresAt) - Date.now();
    const timer = window.setTimeout(() => signOut("Your sign-in has expired. Please sign in again."), Math.max(0, Math.min(left, 2 ** 31 - 1)));
    return () => window.clearTimeout(timer);
  }, [auth, signOut]);

  const context = useMemo(() => (auth ? { auth, signOut } : null), [auth, signOut]);

  if (!auth || !context) {
    return (
      <SignIn
        notice={notice}
        onSignedIn={(next) => {
          saveAuth(next);
          setNotice(undefined);
          setAuth(next);
        }}
      />
    );
  }
  return (
    <Signed.Provider value={context}>
      <Shell>
        {route.name === "events" && <EventsView />}
        {route.name === "event" && <EventView key={route.id} id={route.id} />}
        {route.name === "session" && <SessionView key={route.id} id={route.id} />}
        {route.name === "notFound" && (
          <div class="page">
            <h1 tabIndex={-1}>Page not found</h1>
            <p>
              <Link href="/analytics">Back to your events</Link>
            </p>
          </div>
        )}
      </Shell>
    </Signed.Provider>
  );
}

const root = document.getElementById("app");
if (root) {
  root.textContent = "";
  render(<App />, root);
}
