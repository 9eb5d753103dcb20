// A toolbar button that opens a panel (a non-modal dialog) under it. Esc or a click outside
// closes the panel, and Esc gives focus back to the button.

import { useEffect, useId, useRef, useState, type ReactNode } from "react";

export function Popover({
  label,
  summary,
  active = false,
  children,
}: {
  /** The button's text and the dialog's name. */
  label: string;
  /** What the panel has set, shown after the label ("2 conditions"). */
  summary?: string;
  /** Whether the panel has anything set (the button is highlighted). */
  active?: boolean;
  children: ReactNode;
}) {
  const id = useId();
  const [open, setOpen] = useState(false);
  const wrap = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const panel = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!open) return;
    panel.current?.querySelector<HTMLElement>("button, input, select, textarea")?.focus();
    const onPointer = (event: PointerEvent) => {
      if (!wrap.current?.contains(event.target as Node)) setOpen(false);
    };
    document.addEventListener("pointerdown", onPointer);
    return () => document.removeEventListener("pointerdown", onPointer);
  }, [open]);

  return (
    <div
      className="popover"
      ref={wrap}
      onKeyDown={(event) => {
        if (event.key !== "Escape" || !open) return;
        event.stopPropagation();
        setOpen(false);
        button.current?.focus();
      }}
    >
      <button
        ref={button}
        type="button"
        className={active ? "view-button active" : "view-button"}
        aria-expanded={open}
        aria-controls={open ? id : undefined}
        onClick={() => setOpen((o) => !o)}
      >
        {label}
        {summary && <span className="view-summary"> ({summary})</span>}
      </button>
      {open && (
        <div
          id={id}
          ref={panel}
          role="dialog"
          aria-label={label}
          className="popover-panel"
        >
          {children}
        </div>
      )}
    </div>
  );
}
