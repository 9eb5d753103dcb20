// The shell: restores the session on load, then shows the screen the URL names.

import { useEffect, useState, useSyncExternalStore } from "react";
import { describe } from "./api/errors";
import { getMe } from "./api/client";
import { invitationInUrl } from "./api/members";
import { getSession, refresh, setUser, signOut, subscribe } from "./api/session";
import { linkProps, navigate, parseRoute, usePath } from "./router";
import { AuthScreen } from "./screens/AuthScreen";
import { BaseScreen } from "./screens/BaseScreen";
import { HomeScreen } from "./screens/HomeScreen";
import { TokensScreen } from "./screens/TokensScreen";

export function App() {
  const session = useSyncExternalStore(subscribe, getSession);
  const route = parseRoute(usePath());

  useEffect(() => {
    void refresh();
  }, []);

  // The session routes answer with the user; should one not, ask user-service.
  const missingUser = session.status === "signedIn" && !session.user;
  useEffect(() => {
    if (missingUser) getMe().then(setUser, () => undefined);
  }, [missingUser]);

  // An invitation link opened while signed in stays put: it is for another account.
  const invited = route.name === "signUp" && invitationInUrl() !== null;
  const onAuthPage = (route.name === "signIn" || route.name === "signUp") && !invited;
  useEffect(() => {
    if (session.status === "signedIn" && onAuthPage) navigate("/", { replace: true });
  }, [session.status, onAuthPage]);

  if (session.status === "restoring") {
    return (
      <main className="centered" aria-busy="true">
        <p>Loading…</p>
      </main>
    );
  }

  if (session.status === "signedOut") {
    const mode = route.name === "signUp" ? "signUp" : "signIn";
    return <AuthScreen mode={mode} />;
  }

  return (
    <>
      <TopBar name={session.user?.name || session.user?.email || ""} />
      {invited ? (
        <main className="page">
          <h1>This invitation is for a new account</h1>
          <p>
            You are signed in as {session.user?.email || "someone else"}. Sign out, then open the link again to
            sign up with the invited email.
          </p>
        </main>
      ) : route.name === "base" ? (
        <BaseScreen baseId={route.baseId} tableId={route.tableId} />
      ) : route.name === "tokens" ? (
        <TokensScreen />
      ) : route.name === "notFound" ? (
        <main className="page">
          <h1>Page not found</h1>
          <a {...linkProps("/")}>Go home</a>
        </main>
      ) : (
        <HomeScreen />
      )}
    </>
  );
}

function TopBar({ name }: { name: string }) {
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  return (
    <header className="topbar">
      <a className="brand" {...linkProps("/")}>
        PyAirtable
      </a>
      <span className="spacer" />
      {error && (
        <span role="alert" className="error-text">
          {error}
        </span>
      )}
      <a {...linkProps("/tokens")}>Tokens and AI clients</a>
      <span className="who">{name}</span>
      <button
        type="button"
        disabled={busy}
        onClick={async () => {
          setBusy(true);
          try {
            await signOut();
            navigate("/signin", { replace: true });
          } catch (e) {
            setError(describe(e));
          } finally {
            setBusy(false);
          }
        }}
      >
        Sign out
      </button>
    </header>
  );
}
