// The filter: conditions built from the table's fields, or a formula typed in. The builder
// applies each change at once; a typed formula applies once the server has accepted it.

import { useId, useState } from "react";
import { describe } from "../api/errors";
import type { Field } from "../api/types";
import {
  filterOf,
  formulaOf,
  kindOf,
  needsValue,
  OPERATOR_LABELS,
  operatorsFor,
  type Condition,
  type Conjunction,
  type FilterSpec,
} from "./filters";

export function FilterPanel({
  fields,
  formula,
  onFormula,
  check,
}: {
  fields: Field[];
  formula: string;
  onFormula: (formula: string) => void;
  /** Resolves when the server accepts `formula` as a filter; rejects with its reason. */
  check: (formula: string) => Promise<void>;
}) {
  const id = useId();
  const parsed = filterOf(formula, fields);
  const [spec, setSpec] = useState<FilterSpec>(parsed ?? { conjunction: "AND", conditions: [] });
  // The formula `spec` was read from or written as: when the filter changes from outside
  // (a revert, another view), the builder starts again from it.
  const [source, setSource] = useState(formula);
  const [mode, setMode] = useState<"builder" | "formula">(parsed ? "builder" : "formula");
  const [typed, setTyped] = useState(formula);
  const [error, setError] = useState("");
  const [checking, setChecking] = useState(false);

  if (source !== formula) {
    setSource(formula);
    setTyped(formula);
    setError("");
    if (parsed) setSpec(parsed);
    else setMode("formula");
  }

  function change(next: FilterSpec) {
    setSpec(next);
    const written = formulaOf(next, fields);
    setSource(written);
    setTyped(written);
    if (written !== formula) onFormula(written);
  }

  function setCondition(index: number, condition: Condition) {
    change({ ...spec, conditions: spec.conditions.map((c, i) => (i === index ? condition : c)) });
  }

  function chooseField(index: number, fieldId: string) {
    const field = fields.find((f) => f.id === fieldId);
    if (!field) return;
    const old = spec.conditions[index];
    const ops = operatorsFor(field);
    const op = old && ops.includes(old.op) ? old.op : (ops[0] ?? "is");
    const keepValue = old && kindOf(fields.find((f) => f.id === old.fieldId) ?? field) === kindOf(field);
    setCondition(index, { fieldId, op, value: keepValue ? old.value : "" });
  }

  async function applyTyped() {
    setChecking(true);
    setError("");
    try {
      if (typed.trim()) await check(typed);
      setSource(typed);
      const read = filterOf(typed, fields);
      if (read) setSpec(read);
      if (typed !== formula) onFormula(typed);
    } catch (e) {
      setError(describe(e));
    } finally {
      setChecking(false);
    }
  }

  const primary = fields[0];
  return (
    <div className="filter-panel">
      <div role="radiogroup" aria-label="Filter mode" className="segmented">
        <label>
          <input
            type="radio"
            name={`${id}-mode`}
            checked={mode === "builder"}
            onChange={() => {
              const read = filterOf(formula, fields);
              if (!read) {
                setError("This formula cannot be shown as conditions: edit it as a formula, or clear it.");
                return;
              }
              setSpec(read);
              setTyped(formula);
              setError("");
              setMode("builder");
            }}
          />
          Conditions
        </label>
        <label>
          <input type="radio" name={`${id}-mode`} checked={mode === "formula"} onChange={() => setMode("formula")} />
          Formula
        </label>
      </div>

      {mode === "builder" ? (
        <>
          {spec.conditions.length === 0 && <p className="muted">No filter: every record is shown.</p>}
          {spec.conditions.length > 0 && (
            <ol className="conditions" aria-label="Conditions">
              {spec.conditions.map((condition, i) => {
                const field = fields.find((f) => f.id === condition.fieldId);
                const n = i + 1;
                return (
                  <li key={i} className="condition">
                    {i === 0 ? (
                      <span className="conjunction">Where</span>
                    ) : i === 1 ? (
                      <select
                        aria-label="Join conditions with"
                        value={spec.conjunction}
                        onChange={(e) => change({ ...spec, conjunction: e.target.value as Conjunction })}
                      >
                        <option value="AND">and</option>
                        <option value="OR">or</option>
                      </select>
                    ) : (
                      <span className="conjunction">{spec.conjunction === "AND" ? "and" : "or"}</span>
                    )}
                    <select
                      aria-label={`Condition ${n} field`}
                      value={condition.fieldId}
                      onChange={(e) => chooseField(i, e.target.value)}
                    >
                      {fields.map((f) => (
                        <option key={f.id} value={f.id}>
                          {f.name}
                        </option>
                      ))}
                    </select>
                    <select
                      aria-label={`Condition ${n} operator`}
                      value={condition.op}
                      onChange={(e) => setCondition(i, { ...condition, op: e.target.value as Condition["op"] })}
                    >
                      {field &&
                        operatorsFor(field).map((op) => (
                          <option key={op} value={op}>
                            {OPERATOR_LABELS[op]}
                          </option>
                        ))}
                    </select>
                    {field && needsValue(condition.op) && (
                      <ValueInput
                        field={field}
                        label={`Condition ${n} value`}
                        value={condition.value}
                        onValue={(value) => setCondition(i, { ...condition, value })}
                      />
                    )}
                    <button
                      type="button"
                      aria-label={`Remove condition ${n}`}
                      onClick={() => change({ ...spec, conditions: spec.conditions.filter((_, j) => j !== i) })}
                    >
                      ✕
                    </button>
                  </li>
                );
              })}
            </ol>
          )}
          <button
            type="button"
            disabled={!primary}
            onClick={() => {
              if (!primary) return;
              const condition = { fieldId: primary.id, op: operatorsFor(primary)[0] ?? "is", value: "" } as Condition;
              change({ ...spec, conditions: [...spec.conditions, condition] });
            }}
          >
            Add condition
          </button>
        </>
      ) : (
        <form
          className="formula-form"
          onSubmit={(e) => {
            e.preventDefault();
            void applyTyped();
          }}
        >
          <label htmlFor={`${id}-formula`}>Filter formula</label>
          <textarea
            id={`${id}-formula`}
            value={typed}
            rows={3}
            spellCheck={false}
            placeholder="AND({Status} = 'Done', {Size} > 2)"
            onChange={(e) => setTyped(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
                e.preventDefault();
                void applyTyped();
              }
            }}
          />
          <button type="submit" className="primary" disabled={checking || typed === formula}>
            Apply formula
          </button>
        </form>
      )}
      {formula && (
        <button type="button" onClick={() => change({ conjunction: "AND", conditions: [] })}>
          Clear filter
        </button>
      )}
      <p role="alert" className="error-text">
        {error}
      </p>
    </div>
  );
}

function ValueInput({
  field,
  label,
  value,
  onValue,
}: {
  field: Field;
  label: string;
  value: string;
  onValue: (value: string) => void;
}) {
  const kind = kindOf(field);
  if (kind === "select" || kind === "multiSelect") {
    const choices = field.options?.choices ?? [];
    return (
      <select aria-label={label} value={value} onChange={(e) => onValue(e.target.value)}>
        <option value="">Choose…</option>
        {choices.map((c) => (
          <option key={c.name} value={c.name}>
            {c.name}
          </option>
        ))}
      </select>
    );
  }
  const type = kind === "number" ? "number" : kind === "date" ? "date" : "text";
  return <input aria-label={label} type={type} value={value} onChange={(e) => onValue(e.target.value)} />;
}
