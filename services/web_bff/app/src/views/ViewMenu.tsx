// The view switcher: a menu of the table's saved views, and for creators "Create view",
// "Rename view" and "Delete view" (never the last one). Arrow keys move, Esc closes.

import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import { describe } from "../api/errors";
import type { View } from "../api/types";

export function ViewMenu({
  views,
  current,
  canManage,
  onSwitch,
  onCreate,
  onRename,
  onDelete,
}: {
  views: View[];
  current: View | undefined;
  canManage: boolean;
  onSwitch: (view: View) => void;
  onCreate: (name: string) => Promise<void>;
  onRename: (name: string) => Promise<void>;
  onDelete: () => Promise<void>;
}) {
  const id = useId();
  const [open, setOpen] = useState(false);
  const [naming, setNaming] = useState<"create" | "rename" | null>(null);
  const wrap = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const menu = useRef<HTMLDivElement>(null);

  const items = () => Array.from(menu.current?.querySelectorAll<HTMLElement>("[role^=menuitem]") ?? []);

  useEffect(() => {
    if (!open) return;
    const checked = menu.current?.querySelector<HTMLElement>("[aria-checked=true]");
    (checked ?? items()[0])?.focus();
    const onPointer = (event: PointerEvent) => {
      if (!wrap.current?.contains(event.target as Node)) setOpen(false);
    };
    document.addEventListener("pointerdown", onPointer);
    return () => document.removeEventListener("pointerdown", onPointer);
  }, [open]);

  function close() {
    setOpen(false);
    button.current?.focus();
  }

  function onKeyDown(event: KeyboardEvent) {
    const all = items();
    const at = all.indexOf(document.activeElement as HTMLElement);
    const go = (index: number) => all[(index + all.length) % all.length]?.focus();
    if (event.key === "Escape") close();
    else if (event.key === "ArrowDown") go(at + 1);
    else if (event.key === "ArrowUp") go(at - 1);
    else if (event.key === "Home") go(0);
    else if (event.key === "End") go(all.length - 1);
    else return;
    event.preventDefault();
    event.stopPropagation();
  }

  function choose(action: () => void) {
    setOpen(false);
    action();
  }

  return (
    <div className="popover" ref={wrap}>
      <button
        ref={button}
        type="button"
        className="view-button view-name"
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? id : undefined}
        onClick={() => setOpen((o) => !o)}
      >
        <span className="muted">View</span> {current?.name ?? "All records"}
      </button>
      {open && (
        <div id={id} ref={menu} role="menu" aria-label="Views" className="popover-panel menu" onKeyDown={onKeyDown}>
          {views.map((view) => (
            <button
              key={view.id}
              type="button"
              role="menuitemradio"
              aria-checked={view.id === current?.id}
              tabIndex={-1}
              onClick={() => choose(() => onSwitch(view))}
            >
              {view.name}
            </button>
          ))}
          {canManage && (
            <>
              <hr />
              <button type="button" role="menuitem" tabIndex={-1} onClick={() => choose(() => setNaming("create"))}>
                Create view
              </button>
              {current && (
                <button type="button" role="menuitem" tabIndex={-1} onClick={() => choose(() => setNaming("rename"))}>
                  Rename view
                </button>
              )}
              {current && views.length > 1 && (
                <button type="button" role="menuitem" tabIndex={-1} onClick={() => choose(() => void onDelete())}>
                  Delete view
                </button>
              )}
            </>
          )}
        </div>
      )}
      {naming && (
        <NameDialog
          title={naming === "create" ? "Create view" : "Rename view"}
          initial={naming === "rename" ? (current?.name ?? "") : ""}
          submitLabel={naming === "create" ? "Create" : "Rename"}
          onSubmit={naming === "create" ? onCreate : onRename}
          onClose={() => {
            setNaming(null);
            button.current?.focus();
          }}
        />
      )}
    </div>
  );
}

/** Asks for a view's name; stays open with the server's reason when it refuses it. */
function NameDialog({
  title,
  initial,
  submitLabel,
  onSubmit,
  onClose,
}: {
  title: string;
  initial: string;
  submitLabel: string;
  onSubmit: (name: string) => Promise<void>;
  onClose: () => void;
}) {
  const id = useId();
  const [name, setName] = useState(initial);
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError("");
    try {
      await onSubmit(name.trim());
      onClose();
    } catch (e) {
      setError(describe(e));
      setBusy(false);
    }
  }

  return (
    <form
      role="dialog"
      aria-label={title}
      className="popover-panel name-dialog"
      onSubmit={submit}
      onKeyDown={(e) => {
        if (e.key === "Escape") {
          e.stopPropagation();
          onClose();
        }
      }}
    >
      <label htmlFor={`${id}-name`}>View name</label>
      <input id={`${id}-name`} value={name} onChange={(e) => setName(e.target.value)} autoFocus required />
      <button type="submit" className="primary" disabled={busy || !name.trim()}>
        {submitLabel}
      </button>
      <button type="button" onClick={onClose}>
        Cancel
      </button>
      <p role="alert" className="error-text">
        {error}
      </p>
    </form>
  );
}
