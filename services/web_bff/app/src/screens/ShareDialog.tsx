// Sharing a workspace (owners): its members and their roles, the pending invitations, and a
// form to invite someone by email. A native modal <dialog>: focus stays inside, Esc closes it.

import { useCallback, useEffect, useId, useRef, useState, type FormEvent } from "react";
import { describe } from "../api/errors";
import {
  ROLE_CHOICES,
  createInvitation,
  invitationLink,
  listInvitations,
  listMembers,
  removeMember,
  revokeInvitation,
  roleLabel,
  updateMember,
  type Invitation,
  type MemberProfile,
} from "../api/members";
import type { Role, Workspace } from "../api/types";
import "./sharing.css";

export function ShareDialog({
  workspace,
  myUserId,
  onClose,
}: {
  workspace: Workspace;
  myUserId: string;
  onClose: () => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [members, setMembers] = useState<MemberProfile[] | null>(null);
  const [invitations, setInvitations] = useState<Invitation[]>([]);
  const [error, setError] = useState("");
  const id = useId();

  const load = useCallback(async () => {
    const [loadedMembers, loadedInvitations] = await Promise.all([
      listMembers(workspace.id),
      listInvitations(workspace.id),
    ]);
    setMembers(loadedMembers);
    setInvitations(loadedInvitations);
  }, [workspace.id]);

  useEffect(() => {
    const el = dialog.current;
    if (el && !el.open) el.showModal();
    load().catch((e: unknown) => setError(describe(e)));
  }, [load]);

  /** Make a change, if given, then show the server's state: after a refusal, its message and
   * the state as it still is. */
  async function refresh(change?: () => Promise<unknown>): Promise<void> {
    let problem = "";
    try {
      await change?.();
    } catch (e) {
      problem = describe(e);
    }
    try {
      await load();
    } catch (e) {
      problem ||= describe(e);
    }
    setError(problem);
  }

  return (
    <dialog ref={dialog} className="share-dialog" aria-labelledby={`${id}-title`} onClose={onClose}>
      <h2 id={`${id}-title`}>Share {workspace.name}</h2>
      <p role="alert" className="error-text">
        {error}
      </p>

      <section aria-labelledby={`${id}-members`}>
        <h3 id={`${id}-members`}>Members</h3>
        {members === null ? (
          <p aria-busy="true">Loading members…</p>
        ) : (
          <ul className="share-list">
            {members.map((member) => (
              <MemberRow
                key={member.user_id}
                member={member}
                isMe={member.user_id === myUserId}
                onRole={(role) => refresh(() => updateMember(workspace.id, member.user_id, role))}
                onRemove={(name) => {
                  const question = `Remove ${name} from ${workspace.name}? They lose access to its bases.`;
                  if (window.confirm(question)) void refresh(() => removeMember(workspace.id, member.user_id));
                }}
              />
            ))}
          </ul>
        )}
      </section>

      <section aria-labelledby={`${id}-pending`}>
        <h3 id={`${id}-pending`}>Pending invitations</h3>
        {invitations.length === 0 ? (
          <p className="muted">No pending invitations.</p>
        ) : (
          <ul className="share-list">
            {invitations.map((invitation) => (
              <li key={invitation.id}>
                <span className="share-who">{invitation.email}</span>
                <span className="muted">{roleLabel(invitation.role)}</span>
                {invitation.expires_at && (
                  <span className="muted">
                    until <time dateTime={invitation.expires_at}>{new Date(invitation.expires_at).toLocaleDateString()}</time>
                  </span>
                )}
                <button
                  type="button"
                  aria-label={`Revoke invitation to ${invitation.email}`}
                  onClick={() => void refresh(() => revokeInvitation(workspace.id, invitation.id))}
                >
                  Revoke
                </button>
              </li>
            ))}
          </ul>
        )}
      </section>

      <InviteForm workspace={workspace} onInvited={() => void refresh()} />

      <div className="share-actions">
        <button type="button" onClick={() => dialog.current?.close()}>
          Close
        </button>
      </div>
    </dialog>
  );
}

function MemberRow({
  member,
  isMe,
  onRole,
  onRemove,
}: {
  member: MemberProfile;
  isMe: boolean;
  onRole: (role: Role) => Promise<void>;
  onRemove: (name: string) => void;
}) {
  // The role asked for, shown while the server answers; then the member's role as stored.
  const [asked, setAsked] = useState<Role | null>(null);
  const name = member.user?.name || member.user?.email || member.user_id;
  return (
    <li>
      <span className="share-who">
        {name}
        {isMe && <span className="muted"> (you)</span>}
        {member.user?.email && member.user.email !== name && <span className="muted"> {member.user.email}</span>}
      </span>
      <select
        aria-label={`Role of ${name}`}
        value={asked ?? member.role}
        disabled={asked !== null}
        onChange={async (e) => {
          setAsked(e.target.value as Role);
          await onRole(e.target.value as Role);
          setAsked(null);
        }}
      >
        {ROLE_CHOICES.map((c) => (
          <option key={c.role} value={c.role}>
            {c.label}
          </option>
        ))}
      </select>
      <button type="button" aria-label={`Remove ${name}`} onClick={() => onRemove(name)}>
        Remove
      </button>
    </li>
  );
}

function InviteForm({ workspace, onInvited }: { workspace: Workspace; onInvited: () => void }) {
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<Role>("ROLE_EDITOR");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  const [outcome, setOutcome] = useState<{ email: string; link: string } | null>(null);
  const id = useId();

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!email.trim()) {
      setError("Email is required.");
      return;
    }
    setBusy(true);
    setError("");
    setOutcome(null);
    try {
      const invited = await createInvitation(workspace.id, email.trim(), role);
      const to = invited.invitation.email;
      const link = invited.signupToken
        ? invitationLink({ token: invited.signupToken, email: to, workspace: workspace.name })
        : "";
      setOutcome({ email: to, link });
      setEmail("");
      onInvited();
    } catch (e) {
      setError(describe(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`}>Invite someone</h3>
      <form className="invite-form" onSubmit={submit} aria-labelledby={`${id}-title`} noValidate>
        <label htmlFor={`${id}-email`}>Email to invite</label>
        <input
          id={`${id}-email`}
          type="email"
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? `${id}-error` : undefined}
        />
        <label htmlFor={`${id}-role`}>Role</label>
        <select id={`${id}-role`} value={role} onChange={(e) => setRole(e.target.value as Role)}>
          {ROLE_CHOICES.map((c) => (
            <option key={c.role} value={c.role}>
              {c.label}
            </option>
          ))}
        </select>
        <button type="submit" className="primary" disabled={busy}>
          Invite
        </button>
      </form>
      {error && (
        <p id={`${id}-error`} role="alert" className="error-text">
          {error}
        </p>
      )}
      <p className="muted">
        PyAirtable does not send email yet. Someone new to your team gets a signup link here: send it to them
        yourself. Someone who already has an account sees the invitation on their home page.
      </p>
      {outcome && (outcome.link ? <SignupLink email={outcome.email} link={outcome.link} /> : (
        <p role="status">
          Invited {outcome.email}. They already have an account: the invitation is on their home page.
        </p>
      ))}
    </section>
  );
}

function SignupLink({ email, link }: { email: string; link: string }) {
  const input = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState("");
  const id = useId();

  async function copy() {
    try {
      await navigator.clipboard.writeText(link);
      setCopied("Link copied.");
    } catch {
      // No clipboard access (an http origin, or permission refused): leave it selected.
      input.current?.select();
      setCopied("Press Ctrl+C (⌘C) to copy the selected link.");
    }
  }

  return (
    <div className="signup-link">
      <p role="status">Invited {email}. Send them this link to sign up and join:</p>
      <div className="signup-link-row">
        <label htmlFor={`${id}-link`} className="visually-hidden">
          Signup link for {email}
        </label>
        <input id={`${id}-link`} ref={input} readOnly value={link} onFocus={(e) => e.target.select()} />
        <button type="button" onClick={() => void copy()}>
          Copy link
        </button>
      </div>
      <p className="muted" aria-live="polite">
        {copied}
      </p>
    </div>
  );
}
