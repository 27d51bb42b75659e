// The frame around every signed-in view: the header with the product and the viewer.
import type { ComponentChildren } from "preact";

import { displayName, roleLabel } from "./auth";
import { useSigned } from "./session";
import { Logo } from "./SignIn";
import { Link } from "./ui";

export function Shell(props: { children: ComponentChildren }) {
  const { auth, signOut } = useSigned();
  const viewer = auth.viewer;
  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <div class="topbar-inner">
          <Link href="/analytics" class="brand">
            <Logo />
            <span>Session Analytics</span>
          </Link>
          <div class="viewer">
            <span class="viewer-avatar" aria-hidden="true">
              {(viewer.firstName?.[0] ?? viewer.email[0]).toUpperCase()}
              {(viewer.lastName?.[0] ?? "").toUpperCase()}
            </span>
            <span class="viewer-text">
              <span class="viewer-name" data-testid="viewer-name">{displayName(viewer)}</span>
              <span class="viewer-role">{roleLabel(viewer.role)}</span>
            </span>
            <button type="button" class="button button-small button-ghost" onClick={() => signOut()}>
              Sign out
            </button>
          </div>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {props.children}
      </main>
      <footer class="footer">
        <p>Session Analytics · figures derived from reported activity, kept up to date as it arrives.</p>
      </footer>
    </>
  );
}
