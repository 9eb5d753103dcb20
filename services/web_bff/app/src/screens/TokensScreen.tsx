// Tokens and AI clients: the caller's personal access tokens (list, create, revoke), and once a
// token is made, what an AI client needs to reach the bases with it through mcp-server.

import { useCallback, useEffect, useId, useRef, useState, type FormEvent } from "react";
import { getHome, type HomeWorkspace } from "../api/client";
import { ApiError, describe } from "../api/errors";
import {
  EXPIRY_CHOICES,
  PRESETS,
  SCOPE_CHOICES,
  claudeDesktopConfig,
  createToken,
  listTokens,
  mcpUrl,
  revokeToken,
  scopeLabel,
  type PersonalToken,
} from "../api/tokens";
import "./tokens.css";

export function TokensScreen() {
  const [tokens, setTokens] = useState<PersonalToken[] | null>(null);
  const [workspaces, setWorkspaces] = useState<HomeWorkspace[]>([]);
  const [created, setCreated] = useState<{ secret: string; name: string } | null>(null);
  const [error, setError] = useState("");
  const listHeading = useRef<HTMLHeadingElement>(null);

  const load = useCallback(async () => {
    try {
      setTokens(await listTokens());
      setError("");
    } catch (e) {
      setError(describe(e));
    }
  }, []);

  useEffect(() => {
    void load();
    // The bases to limit a token to; without them a token can still be made for all bases.
    getHome().then((home) => setWorkspaces(home.workspaces), () => undefined);
  }, [load]);

  const baseNames = new Map(workspaces.flatMap((w) => w.bases.map((b) => [b.id, b.name] as const)));

  return (
    <main className="page tokens">
      <h1>Tokens and AI clients</h1>
      <p className="muted">
        A personal access token lets a program act as you: an AI client (Claude Desktop, an IDE, an agent) through
        the MCP server, or a script through the API. Give it only the access it needs.
      </p>
      {error && (
        <p role="alert" className="error-text">
          {error}
        </p>
      )}
      {created ? (
        <CreatedToken
          {...created}
          onDone={() => {
            setCreated(null);
          }}
        />
      ) : (
        <NewTokenForm
          workspaces={workspaces}
          onCreated={async (secret, name) => {
            setCreated({ secret, name });
            await load();
          }}
        />
      )}
      <section className="card" aria-labelledby="my-tokens">
        <h2 id="my-tokens" ref={listHeading} tabIndex={-1}>
          Your tokens
        </h2>
        {tokens === null && !error && <p aria-busy="true">Loading tokens…</p>}
        {tokens?.length === 0 && <p className="muted">You have no tokens yet.</p>}
        {tokens && tokens.length > 0 && (
          <ul className="token-list">
            {tokens.map((token) => (
              <TokenRow
                key={token.id}
                token={token}
                baseNames={baseNames}
                onRevoked={async () => {
                  await load();
                  listHeading.current?.focus(); // The row, and the focus in it, are gone.
                }}
              />
            ))}
          </ul>
        )}
      </section>
    </main>
  );
}

function NewTokenForm({
  workspaces,
  onCreated,
}: {
  workspaces: HomeWorkspace[];
  onCreated: (secret: string, name: string) => Promise<void>;
}) {
  const id = useId();
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState<string[]>(PRESETS[0]?.scopes ?? []);
  const [someBases, setSomeBases] = useState(false);
  const [baseIds, setBaseIds] = useState<string[]>([]);
  const [expiresInDays, setExpiresInDays] = useState(0);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string[]>([]);

  const toggle = (list: string[], item: string, on: boolean) =>
    on ? [...list.filter((x) => x !== item), item] : list.filter((x) => x !== item);

  async function submit(event: FormEvent) {
    event.preventDefault();
    // What the server would refuse anyway, said before asking it.
    if (someBases && baseIds.length === 0) {
      setError(["Choose at least one base, or let the token reach all your bases."]);
      return;
    }
    setBusy(true);
    setError([]);
    try {
      const { secret, token } = await createToken({
        name,
        scopes,
        base_ids: someBases ? baseIds : [],
        expires_in_days: expiresInDays,
      });
      await onCreated(secret, token.name ?? name);
    } catch (e) {
      setError(explain(e));
      setBusy(false);
    }
  }

  return (
    <section className="card" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>New token</h2>
      <form className="token-form" aria-labelledby={`${id}-title`} onSubmit={(e) => void submit(e)}>
        <div className="field">
          <label htmlFor={`${id}-name`}>Token name</label>
          <input
            id={`${id}-name`}
            value={name}
            maxLength={100}
            placeholder="Claude Desktop on my laptop"
            onChange={(e) => setName(e.target.value)}
          />
        </div>

        <fieldset>
          <legend>What it may do</legend>
          <div className="presets" role="group" aria-label="Presets">
            {PRESETS.map((preset) => (
              <button
                key={preset.label}
                type="button"
                aria-pressed={sameSet(scopes, preset.scopes)}
                onClick={() => setScopes(preset.scopes)}
              >
                {preset.label}
              </button>
            ))}
          </div>
          {SCOPE_CHOICES.map((choice) => (
            <label key={choice.scope} className="check-row">
              <input
                type="checkbox"
                checked={scopes.includes(choice.scope)}
                onChange={(e) => setScopes(toggle(scopes, choice.scope, e.target.checked))}
              />
              {choice.label} <code>{choice.scope}</code>
            </label>
          ))}
        </fieldset>

        <fieldset>
          <legend>Which bases</legend>
          <label className="check-row">
            <input type="radio" name={`${id}-reach`} checked={!someBases} onChange={() => setSomeBases(false)} />
            All my bases, now and later
          </label>
          <label className="check-row">
            <input type="radio" name={`${id}-reach`} checked={someBases} onChange={() => setSomeBases(true)} />
            Only the bases I choose
          </label>
          {someBases && (
            <div className="base-choices">
              {workspaces.every((w) => w.bases.length === 0) && <p className="muted">You have no bases yet.</p>}
              {workspaces
                .filter((w) => w.bases.length > 0)
                .map(({ workspace, bases }) => (
                  <div key={workspace.id} role="group" aria-label={`Bases in ${workspace.name}`}>
                    <p className="muted">{workspace.name}</p>
                    {bases.map((base) => (
                      <label key={base.id} className="check-row">
                        <input
                          type="checkbox"
                          checked={baseIds.includes(base.id)}
                          onChange={(e) => setBaseIds(toggle(baseIds, base.id, e.target.checked))}
                        />
                        {base.name}
                      </label>
                    ))}
                  </div>
                ))}
            </div>
          )}
        </fieldset>

        <div className="field">
          <label htmlFor={`${id}-expiry`}>Expires</label>
          <select id={`${id}-expiry`} value={expiresInDays} onChange={(e) => setExpiresInDays(Number(e.target.value))}>
            {EXPIRY_CHOICES.map((choice) => (
              <option key={choice.days} value={choice.days}>
                {choice.label}
              </option>
            ))}
          </select>
        </div>

        <div role="alert" className="error-text">
          {error.length > 0 && <p>{error[0]}</p>}
          {error.length > 1 && (
            <ul>
              {error.slice(1).map((line) => (
                <li key={line}>{line}</li>
              ))}
            </ul>
          )}
        </div>
        <div>
          <button type="submit" className="primary" disabled={busy}>
            Create token
          </button>
        </div>
      </form>
    </section>
  );
}

// The form's words for the request's fields, to say which one the server refused.
const FIELD_LABELS: Record<string, string> = {
  name: "Token name",
  scopes: "What it may do",
  base_ids: "Which bases",
  expires_in_days: "Expires",
};

/** The server's message, then what it said of each field, by the form's labels. */
function explain(error: unknown): string[] {
  const fields = error instanceof ApiError ? error.fields : [];
  return [describe(error), ...fields.map((f) => `${FIELD_LABELS[f.field] ?? f.field}: ${f.description}`)];
}

function sameSet(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

/** The secret, this once, beside what an AI client needs to use it. */
function CreatedToken({ secret, name, onDone }: { secret: string; name: string; onDone: () => void }) {
  const id = useId();
  const heading = useRef<HTMLHeadingElement>(null);
  const config = claudeDesktopConfig(secret);

  useEffect(() => {
    heading.current?.focus(); // Keyboard and screen-reader users land on what just appeared.
  }, []);

  return (
    <section className="card created-token" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`} ref={heading} tabIndex={-1}>
        Token “{name}” created
      </h2>
      <p className="token-warning" role="note">
        Copy it now: this is the only time it is shown. Anyone who has it can act as you within its scopes; keep it
        secret, and revoke it below if it leaks.
      </p>
      <CopyField id={`${id}-secret`} label="Your new token" value={secret} button="Copy token" />

      <h3>Connect an AI client</h3>
      <p>
        Clients that speak streamable HTTP connect to this URL, sending the token as{" "}
        <code>Authorization: Bearer &lt;token&gt;</code>:
      </p>
      <CopyField id={`${id}-mcp`} label="MCP URL" value={mcpUrl()} button="Copy URL" />
      <p>
        Claude Desktop runs <code>pyat mcp</code>: add this to its <code>claude_desktop_config.json</code>.
      </p>
      <CopyField id={`${id}-config`} label="Claude Desktop config" value={config} button="Copy config" multiline />
      <p className="muted">
        Replace <code>/path/to/PyAirtable</code> with the folder where PyAirtable is checked out: the app cannot know it.
      </p>
      <button type="button" onClick={onDone}>
        Done, I have copied it
      </button>
    </section>
  );
}

function CopyField({
  id,
  label,
  value,
  button,
  multiline = false,
}: {
  id: string;
  label: string;
  value: string;
  button: string;
  multiline?: boolean;
}) {
  const field = useRef<HTMLInputElement & HTMLTextAreaElement>(null);
  const [copied, setCopied] = useState("");

  async function copy() {
    try {
      await navigator.clipboard.writeText(value);
      setCopied("Copied.");
    } catch {
      // No clipboard access (an http origin, or permission refused): leave it selected.
      field.current?.select();
      setCopied("Press Ctrl+C (⌘C) to copy the selected text.");
    }
  }

  return (
    <div className="copy-field">
      <label htmlFor={id}>{label}</label>
      <div className="copy-row">
        {multiline ? (
          <textarea
            id={id}
            ref={field}
            readOnly
            value={value}
            rows={value.split("\n").length}
            spellCheck={false}
            onFocus={(e) => e.target.select()}
          />
        ) : (
          <input id={id} ref={field} readOnly value={value} spellCheck={false} onFocus={(e) => e.target.select()} />
        )}
        <button type="button" onClick={() => void copy()}>
          {button}
        </button>
      </div>
      <p className="muted" aria-live="polite">
        {copied}
      </p>
    </div>
  );
}

function TokenRow({
  token,
  baseNames,
  onRevoked,
}: {
  token: PersonalToken;
  baseNames: Map<string, string>;
  onRevoked: () => Promise<void>;
}) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  const keep = useRef<HTMLButtonElement>(null);
  const name = token.name || token.id || "";
  const bases = token.base_ids ?? [];

  useEffect(() => {
    if (confirming) keep.current?.focus();
  }, [confirming]);

  async function revoke() {
    setBusy(true);
    setError("");
    try {
      await revokeToken(token.id ?? "");
      await onRevoked();
    } catch (e) {
      setError(describe(e));
      setBusy(false);
    }
  }

  return (
    <li aria-label={`Token ${name}`}>
      <div className="token-head">
        <strong className="token-name">{name}</strong>
        <code className="muted">{token.id}</code>
        {!confirming && (
          <button type="button" aria-label={`Revoke ${name}`} onClick={() => setConfirming(true)}>
            Revoke
          </button>
        )}
      </div>
      <p>{(token.scopes ?? []).map(scopeLabel).join(", ") || "No scopes"}</p>
      <p className="muted">
        {bases.length === 0 ? "All your bases" : `Bases: ${bases.map((b) => baseNames.get(b) ?? b).join(", ")}`}
        {" · "}Created {day(token.created_at)}
        {" · "}
        {token.last_used_at ? `Last used ${day(token.last_used_at)}` : "Never used"}
        {" · "}
        {token.expires_at ? `Expires ${day(token.expires_at)}` : "Never expires"}
      </p>
      {confirming && (
        <div className="revoke-confirm" role="group" aria-label={`Confirm revoking ${name}`}>
          <span>Revoke “{name}”? Programs using it stop working at once.</span>
          <button type="button" className="danger" disabled={busy} onClick={() => void revoke()}>
            Revoke token
          </button>
          <button type="button" ref={keep} disabled={busy} onClick={() => setConfirming(false)}>
            Keep it
          </button>
        </div>
      )}
      {error && (
        <p role="alert" className="error-text">
          {error}
        </p>
      )}
    </li>
  );
}

function day(timestamp: string | undefined): string {
  return timestamp ? new Date(timestamp).toLocaleDateString() : "—";
}
