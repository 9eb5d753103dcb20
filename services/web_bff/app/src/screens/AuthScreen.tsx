// Sign in and sign up: one form each, every control labelled, the server's message shown.
// A signup link from an invitation joins the inviting team instead of starting a new one.

import { useId, useState, type FormEvent } from "react";
import { describe } from "../api/errors";
import { invitationInUrl } from "../api/members";
import { signIn, signUp } from "../api/session";
import { linkProps, navigate } from "../router";
import "./sharing.css";

export function AuthScreen({ mode }: { mode: "signIn" | "signUp" }) {
  const signingUp = mode === "signUp";
  const [invitation] = useState(() => (signingUp ? invitationInUrl() : null));
  const [email, setEmail] = useState(invitation?.email ?? "");
  const [password, setPassword] = useState("");
  const [name, setName] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const id = useId();
  const title = signingUp ? "Create your account" : "Sign in to PyAirtable";

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError("");
    try {
      if (signingUp) await signUp(email.trim(), password, name.trim(), invitation?.token);
      else await signIn(email.trim(), password);
      // Off the link: the shell takes an invitation link open while signed in for another's.
      if (invitation) navigate("/", { replace: true });
    } catch (e) {
      setError(describe(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="centered">
      <form className="card auth" onSubmit={submit} aria-labelledby={`${id}-title`} noValidate>
        <h1 id={`${id}-title`}>{title}</h1>
        {invitation && (
          <p className="invitation-note">
            You were invited to join {invitation.workspace ? <strong>{invitation.workspace}</strong> : "a team"}{" "}
            on PyAirtable. Sign up with {invitation.email || "the email address it was sent to"}, then accept
            the invitation on your home page.
          </p>
        )}
        {signingUp && (
          <div className="field">
            <label htmlFor={`${id}-name`}>Name</label>
            <input
              id={`${id}-name`}
              autoComplete="name"
              value={name}
              onChange={(e) => setName(e.target.value)}
              required
            />
          </div>
        )}
        <div className="field">
          <label htmlFor={`${id}-email`}>Email</label>
          <input
            id={`${id}-email`}
            type="email"
            autoComplete="email"
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            required
          />
        </div>
        <div className="field">
          <label htmlFor={`${id}-password`}>Password</label>
          <input
            id={`${id}-password`}
            type="password"
            autoComplete={signingUp ? "new-password" : "current-password"}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            required
          />
        </div>
        {error && (
          <p role="alert" className="error-text">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {signingUp ? "Sign up" : "Sign in"}
        </button>
        <p className="switch">
          {signingUp ? (
            <>
              Already have an account? <a {...linkProps("/signin")}>Sign in</a>
            </>
          ) : (
            <>
              New here? <a {...linkProps("/signup")}>Create an account</a>
            </>
          )}
        </p>
      </form>
    </main>
  );
}
