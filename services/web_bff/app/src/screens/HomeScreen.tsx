// Home: the caller's workspaces with their bases, and the invitations addressed to them;
// create a workspace or a base, share a workspace one owns.

import { useCallback, useEffect, useState, useSyncExternalStore } from "react";
import { createBase, createWorkspace, getHome, type Activity, type HomeWorkspace } from "../api/client";
import { describe } from "../api/errors";
import { acceptInvitation, listMyInvitations, roleLabel, type Invitation } from "../api/members";
import { getSession, subscribe } from "../api/session";
import { roleAtLeast, type Workspace } from "../api/types";
import { linkProps, navigate } from "../router";
import { CreateForm } from "./CreateForm";
import { ShareDialog } from "./ShareDialog";
import "./sharing.css";

export function HomeScreen() {
  const [workspaces, setWorkspaces] = useState<HomeWorkspace[] | null>(null);
  const [notes, setNotes] = useState<string[]>([]);
  const [activity, setActivity] = useState<Activity[]>([]);
  const [invitations, setInvitations] = useState<Invitation[]>([]);
  const [sharing, setSharing] = useState<Workspace | null>(null);
  const [error, setError] = useState("");
  const myUserId = useSyncExternalStore(subscribe, getSession).user?.id ?? "";

  const load = useCallback(async () => {
    try {
      // Invitations that can't be read leave the rest of home as it is, like its partials.
      const invited = listMyInvitations().catch(() => null);
      const home = await getHome();
      const mine = await invited;
      setWorkspaces(home.workspaces);
      setNotes(mine ? home.notes : [...home.notes, "Your invitations could not be loaded just now."]);
      setActivity(home.activity);
      setInvitations(mine ?? []);
      setError("");
    } catch (e) {
      setError(describe(e));
    }
  }, []);

  useEffect(() => {
    void load();
  }, [load]);

  return (
    <main className="page">
      <h1>Home</h1>
      {error && (
        <p role="alert" className="error-text">
          {error}
        </p>
      )}
      {notes.map((note) => (
        <p key={note} className="note">
          {note}
        </p>
      ))}
      {invitations.length > 0 && (
        <section aria-labelledby="my-invitations" className="card invitations">
          <h2 id="my-invitations">Invitations</h2>
          <ul className="share-list">
            {invitations.map((invitation) => (
              <InvitationRow key={invitation.id} invitation={invitation} onAccepted={load} />
            ))}
          </ul>
        </section>
      )}
      <section aria-labelledby="new-workspace" className="card">
        <h2 id="new-workspace">New workspace</h2>
        <CreateForm
          label="Workspace name"
          button="Create workspace"
          onCreate={async (name) => {
            await createWorkspace(name);
            await load();
          }}
        />
      </section>
      {workspaces === null && !error && <p aria-busy="true">Loading workspaces…</p>}
      {workspaces?.length === 0 && <p>You have no workspaces yet. Create one to start.</p>}
      {workspaces?.map(({ workspace, bases }) => (
        <section key={workspace.id} className="card workspace" aria-label={`Workspace ${workspace.name}`}>
          <div className="workspace-head">
            <h2>{workspace.name}</h2>
            {roleAtLeast(workspace.my_role, "ROLE_READ_ONLY") && workspace.my_role !== "ROLE_OWNER" && (
              <span className="role-badge">{roleLabel(workspace.my_role)}</span>
            )}
            {workspace.my_role === "ROLE_OWNER" && (
              <button type="button" onClick={() => setSharing(workspace)}>
                Share {workspace.name}
              </button>
            )}
          </div>
          {bases.length === 0 ? (
            <p className="muted">No bases yet.</p>
          ) : (
            <ul className="bases">
              {bases.map((base) => (
                <li key={base.id}>
                  <a {...linkProps(`/bases/${encodeURIComponent(base.id)}`)}>{base.name}</a>
                </li>
              ))}
            </ul>
          )}
          {roleAtLeast(workspace.my_role, "ROLE_CREATOR") && (
            <CreateForm
              label={`New base in ${workspace.name}`}
              button="Create base"
              onCreate={async (name) => {
                const base = await createBase(workspace.id, name);
                navigate(`/bases/${encodeURIComponent(base.id)}`);
              }}
            />
          )}
        </section>
      ))}
      {activity.length > 0 && (
        <section className="card" aria-labelledby="recent-activity">
          <h2 id="recent-activity">Recent activity</h2>
          <ul className="activity">
            {activity.map((a) => (
              <li key={`${a.record_id}-${a.at ?? ""}-${a.kind}`}>
                <a {...linkProps(`/bases/${encodeURIComponent(a.base_id)}/tables/${encodeURIComponent(a.table_id)}`)}>
                  {a.base_name}
                </a>
                : a record was {KIND_WORDS[a.kind] ?? "changed"}
                {a.at && <time dateTime={a.at}> {new Date(a.at).toLocaleString()}</time>}
              </li>
            ))}
          </ul>
        </section>
      )}
      {sharing && (
        <ShareDialog
          workspace={sharing}
          myUserId={myUserId}
          onClose={() => {
            setSharing(null);
            void load(); // An owner who made themselves something else no longer shares it.
          }}
        />
      )}
    </main>
  );
}

function InvitationRow({ invitation, onAccepted }: { invitation: Invitation; onAccepted: () => Promise<void> }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  const name = invitation.workspace_name || "a workspace";
  return (
    <li>
      <span className="share-who">
        Join <strong>{name}</strong> as {roleLabel(invitation.role).toLowerCase()}
      </span>
      <button
        type="button"
        className="primary"
        aria-label={`Accept invitation to ${name}`}
        disabled={busy}
        onClick={async () => {
          setBusy(true);
          setError("");
          try {
            await acceptInvitation(invitation.id);
            await onAccepted();
          } catch (e) {
            setError(describe(e));
            setBusy(false);
          }
        }}
      >
        Accept
      </button>
      {error && (
        <p role="alert" className="error-text">
          {error}
        </p>
      )}
    </li>
  );
}

const KIND_WORDS: Record<string, string> = {
  CHANGE_KIND_CREATED: "created",
  CHANGE_KIND_UPDATED: "updated",
  CHANGE_KIND_DELETED: "deleted",
};
