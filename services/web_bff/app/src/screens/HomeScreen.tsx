// Home: the caller's workspaces with their bases; create a workspace or a base.

import { useCallback, useEffect, useState } from "react";
import { createBase, createWorkspace, getHome, type Activity, type HomeWorkspace } from "../api/client";
import { describe } from "../api/errors";
import { linkProps, navigate } from "../router";
import { CreateForm } from "./CreateForm";

export function HomeScreen() {
  const [workspaces, setWorkspaces] = useState<HomeWorkspace[] | null>(null);
  const [notes, setNotes] = useState<string[]>([]);
  const [activity, setActivity] = useState<Activity[]>([]);
  const [error, setError] = useState("");

  const load = useCallback(async () => {
    try {
      const home = await getHome();
      setWorkspaces(home.workspaces);
      setNotes(home.notes);
      setActivity(home.activity);
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
          <h2>{workspace.name}</h2>
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
          <CreateForm
            label={`New base in ${workspace.name}`}
            button="Create base"
            onCreate={async (name) => {
              const base = await createBase(workspace.id, name);
              navigate(`/bases/${encodeURIComponent(base.id)}`);
            }}
          />
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
    </main>
  );
}

const KIND_WORDS: Record<string, string> = {
  CHANGE_KIND_CREATED: "created",
  CHANGE_KIND_UPDATED: "updated",
  CHANGE_KIND_DELETED: "deleted",
};
