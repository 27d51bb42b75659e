// The sign-in form: the `login` mutation, nothing else.
import { useEffect, useRef, useState } from "preact/hooks";

import { ApiError, explain, graphql } from "./api";
import type { Auth } from "./auth";
import { LOGIN } from "./queries";

export function SignIn(props: { onSignedIn: (auth: Auth) => void; notice?: string }) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    document.title = "Sign in · Session Analytics";
    heading.current?.focus();
  }, []);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const data = await graphql<{ login: Auth }>(LOGIN, { email: email.trim(), password }, null);
      props.onSignedIn(data.login);
    } catch (failure) {
      setError(failure);
      setBusy(false);
    }
  };

  const wrongPassword = error instanceof ApiError && error.code === "UNAUTHENTICATED";
  return (
    <main id="main" class="signin">
      <div class="signin-card">
        <div class="brand brand-large">
          <Logo />
          <span>Session Analytics</span>
        </div>
        <h1 ref={heading} tabIndex={-1}>Sign in</h1>
        <p class="muted">See your events' sessions, registrants, video analytics and live figures.</p>
        {props.notice && !error && (
          <p class="note note-info" role="status">
            {props.notice}
          </p>
        )}
        <form onSubmit={submit} noValidate={false}>
          <div class="field">
            <label for="email">Email</label>
            <input
              id="email"
              name="email"
              type="email"
              autocomplete="username"
              required
              value={email}
              onInput={(event) => setEmail(event.currentTarget.value)}
              aria-invalid={wrongPassword || undefined}
              aria-describedby={error ? "signin-error" : undefined}
            />
          </div>
          <div class="field">
            <label for="password">Password</label>
            <input
              id="password"
              name="password"
              type="password"
              autocomplete="current-password"
              required
              value={password}
              onInput={(event) => setPassword(event.currentTarget.value)}
              aria-invalid={wrongPassword || undefined}
              aria-describedby={error ? "signin-error" : undefined}
            />
          </div>
          {error ? (
            <p id="signin-error" class="note note-error" role="alert">
              {wrongPassword ? "The email or password is not right." : explain(error)}
            </p>
          ) : null}
          <button type="submit" class="button button-primary button-block" disabled={busy}>
            {busy ? "Signing in…" : "Sign in"}
          </button>
        </form>
      </div>
    </main>
  );
}

export function Logo() {
  return (
    <svg class="logo" viewBox="0 0 32 32" aria-hidden="true" focusable="false">
      <rect width="32" height="32" rx="7" fill="currentColor" />
      <path d="M7 23V15M13 23V9M19 23V13M25 23V6" stroke="#fff" stroke-width="3.2" stroke-linecap="round" />
    </svg>
  );
}
