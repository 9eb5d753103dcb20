// The filter builder's model: conditions (field, operator, value) joined by AND or OR, written
// as an Airtable formula, and read back from one when it has exactly the builder's shape.

import { fieldRef, stringLiteral } from "../api/formulas";
import type { Field } from "../api/types";

export type Conjunction = "AND" | "OR";

export type Operator =
  | "contains"
  | "is"
  | "isNot"
  | "="
  | "!="
  | "<"
  | ">"
  | "<="
  | ">="
  | "checked"
  | "notChecked"
  | "before"
  | "after"
  | "on"
  | "isEmpty"
  | "isNotEmpty";

export interface Condition {
  fieldId: string;
  op: Operator;
  value: string;
}

export interface FilterSpec {
  conjunction: Conjunction;
  conditions: Condition[];
}

export const OPERATOR_LABELS: Record<Operator, string> = {
  contains: "contains",
  is: "is",
  isNot: "is not",
  "=": "=",
  "!=": "≠",
  "<": "<",
  ">": ">",
  "<=": "≤",
  ">=": "≥",
  checked: "is checked",
  notChecked: "is not checked",
  before: "is before",
  after: "is after",
  on: "is on",
  isEmpty: "is empty",
  isNotEmpty: "is not empty",
};

export type Kind = "text" | "number" | "select" | "multiSelect" | "checkbox" | "date";

const KIND_BY_TYPE: Record<string, Kind> = {
  number: "number",
  currency: "number",
  percent: "number",
  rating: "number",
  duration: "number",
  autoNumber: "number",
  count: "number",
  singleSelect: "select",
  multipleSelects: "multiSelect",
  checkbox: "checkbox",
  date: "date",
  dateTime: "date",
  createdTime: "date",
  lastModifiedTime: "date",
};

const OPERATORS_BY_KIND: Record<Kind, Operator[]> = {
  text: ["contains", "is", "isNot", "isEmpty", "isNotEmpty"],
  number: ["=", "!=", "<", ">", "<=", ">=", "isEmpty", "isNotEmpty"],
  select: ["is", "isNot", "isEmpty", "isNotEmpty"],
  multiSelect: ["contains", "isEmpty", "isNotEmpty"],
  checkbox: ["checked", "notChecked"],
  date: ["before", "after", "on", "isEmpty", "isNotEmpty"],
};

export function kindOf(field: Field): Kind {
  return KIND_BY_TYPE[field.type] ?? "text";
}

export function operatorsFor(field: Field): Operator[] {
  return OPERATORS_BY_KIND[kindOf(field)];
}

export function needsValue(op: Operator): boolean {
  return !["checked", "notChecked", "isEmpty", "isNotEmpty"].includes(op);
}

/** The formula of one condition; "" while it lacks what it needs (it then filters nothing). */
function conditionFormula(condition: Condition, field: Field | undefined): string {
  if (!field || !operatorsFor(field).includes(condition.op)) return "";
  const ref = fieldRef(field.name);
  const { op, value } = condition;
  if (needsValue(op) && value.trim() === "") return "";
  const text = stringLiteral(value);
  switch (op) {
    case "contains":
      return `FIND(LOWER(${text}), LOWER(${ref}))`;
    case "is":
      return `${ref} = ${text}`;
    case "isNot":
      return `${ref} != ${text}`;
    case "checked":
      return ref;
    case "notChecked":
      return `NOT(${ref})`;
    case "before":
      return `IS_BEFORE(${ref}, ${text})`;
    case "after":
      return `IS_AFTER(${ref}, ${text})`;
    case "on":
      return `IS_SAME(${ref}, ${text}, 'day')`;
    // Blank as text: a number 0 is not empty, though Airtable counts it equal to BLANK().
    case "isEmpty":
      return `LEN(${ref} & '') = 0`;
    case "isNotEmpty":
      return `LEN(${ref} & '') > 0`;
    default: {
      const number = Number(value);
      return Number.isFinite(number) ? `${ref} ${op} ${String(number)}` : "";
    }
  }
}

/** The formula of the complete conditions; "" when there are none. */
export function formulaOf(spec: FilterSpec, fields: Field[]): string {
  const byId = new Map(fields.map((f) => [f.id, f]));
  const parts = spec.conditions.map((c) => conditionFormula(c, byId.get(c.fieldId))).filter(Boolean);
  if (parts.length === 0) return "";
  if (parts.length === 1) return parts[0] ?? "";
  return `${spec.conjunction}(${parts.join(", ")})`;
}

// Reading back: a small parser of formula expressions, then a match against the builder's shapes.

type Node =
  | { kind: "field"; name: string }
  | { kind: "string"; value: string }
  | { kind: "number"; value: number }
  | { kind: "call"; name: string; args: Node[] }
  | { kind: "binary"; op: string; left: Node; right: Node };

type Token = { kind: "field" | "string" | "number" | "name" | "op"; text: string };

const ESCAPES: Record<string, string> = { n: "\n", t: "\t", r: "\r" };
const OPERATORS = ["!=", "<=", ">=", "=", "<", ">", "&", "(", ")", ",", "-"];

function tokenize(source: string): Token[] | null {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const char = source[i] ?? "";
    if (/\s/.test(char)) {
      i++;
    } else if (char === "{" || char === "'" || char === '"') {
      const close = char === "{" ? "}" : char;
      let text = "";
      let j = i + 1;
      for (; j < source.length && source[j] !== close; j++) {
        if (source[j] === "\\" && j + 1 < source.length) {
          j++;
          const next = source[j] ?? "";
          text += close === "}" ? next : (ESCAPES[next] ?? next);
        } else {
          text += source[j];
        }
      }
      if (j >= source.length) return null;
      tokens.push({ kind: char === "{" ? "field" : "string", text });
      i = j + 1;
    } else if (/[0-9.]/.test(char)) {
      const match = /^[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?/.exec(source.slice(i));
      if (!match) return null;
      tokens.push({ kind: "number", text: match[0] });
      i += match[0].length;
    } else if (/[A-Za-z_]/.test(char)) {
      const match = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(i)) as RegExpExecArray;
      tokens.push({ kind: "name", text: match[0].toUpperCase() });
      i += match[0].length;
    } else {
      const op = OPERATORS.find((o) => source.startsWith(o, i));
      if (!op) return null;
      tokens.push({ kind: "op", text: op });
      i += op.length;
    }
  }
  return tokens;
}

class Parser {
  private at = 0;
  constructor(private readonly tokens: Token[]) {}

  parse(): Node | null {
    const node = this.comparison();
    return node && this.at === this.tokens.length ? node : null;
  }

  private peek(): Token | undefined {
    return this.tokens[this.at];
  }

  private takeOp(...ops: string[]): string | null {
    const token = this.peek();
    if (token?.kind === "op" && ops.includes(token.text)) {
      this.at++;
      return token.text;
    }
    return null;
  }

  private comparison(): Node | null {
    const left = this.concat();
    const op = left && this.takeOp("=", "!=", "<", ">", "<=", ">=");
    if (!left || !op) return left;
    const right = this.concat();
    return right && { kind: "binary", op, left, right };
  }

  private concat(): Node | null {
    let left = this.primary();
    while (left && this.takeOp("&")) {
      const right = this.primary();
      left = right && { kind: "binary", op: "&", left, right };
    }
    return left;
  }

  private primary(): Node | null {
    const token = this.peek();
    if (!token) return null;
    this.at++;
    if (token.kind === "field") return { kind: "field", name: token.text };
    if (token.kind === "string") return { kind: "string", value: token.text };
    if (token.kind === "number") return { kind: "number", value: Number(token.text) };
    if (token.kind === "op" && token.text === "-") {
      const next = this.primary();
      return next?.kind === "number" ? { kind: "number", value: -next.value } : null;
    }
    if (token.kind === "name" && this.takeOp("(")) {
      const args: Node[] = [];
      if (this.takeOp(")")) return { kind: "call", name: token.text, args };
      for (;;) {
        const arg = this.comparison();
        if (!arg) return null;
        args.push(arg);
        if (this.takeOp(")")) return { kind: "call", name: token.text, args };
        if (!this.takeOp(",")) return null;
      }
    }
    return null;
  }
}

function conditionOf(node: Node, byName: Map<string, Field>): Condition | null {
  const field = (n: Node | undefined) => (n?.kind === "field" ? byName.get(n.name) : undefined);
  const text = (n: Node | undefined) => (n?.kind === "string" ? n.value : null);
  const make = (f: Field | undefined, op: Operator, value = ""): Condition | null =>
    f && operatorsFor(f).includes(op) ? { fieldId: f.id, op, value } : null;

  if (node.kind === "field") return make(field(node), "checked");
  if (node.kind === "call") {
    const [a, b, c] = node.args;
    const arity = node.args.length;
    if (node.name === "NOT" && arity === 1) return make(field(a), "notChecked");
    if (node.name === "FIND" && arity === 2 && a?.kind === "call" && b?.kind === "call") {
      const [needle] = a.args;
      const [haystack] = b.args;
      const ok = a.name === "LOWER" && b.name === "LOWER" && a.args.length === 1 && b.args.length === 1;
      const value = text(needle);
      return ok && value !== null ? make(field(haystack), "contains", value) : null;
    }
    const date = text(b);
    if (date === null) return null;
    if (node.name === "IS_BEFORE" && arity === 2) return make(field(a), "before", date);
    if (node.name === "IS_AFTER" && arity === 2) return make(field(a), "after", date);
    if (node.name === "IS_SAME" && arity === 3 && text(c) === "day") return make(field(a), "on", date);
    return null;
  }
  if (node.kind !== "binary") return null;
  const { op, left, right } = node;
  if (left.kind === "call" && left.name === "LEN" && right.kind === "number" && right.value === 0) {
    const [joined] = left.args;
    if (left.args.length !== 1 || joined?.kind !== "binary" || joined.op !== "&") return null;
    if (text(joined.right) !== "") return null;
    const blank = op === "=" ? "isEmpty" : op === ">" ? "isNotEmpty" : null;
    return blank && make(field(joined.left), blank);
  }
  const f = field(left);
  if (right.kind === "number" && ["=", "!=", "<", ">", "<=", ">="].includes(op)) {
    return make(f, op as Operator, String(right.value));
  }
  const value = text(right);
  if (value === null) return null;
  if (op === "=") return make(f, "is", value);
  if (op === "!=") return make(f, "isNot", value);
  return null;
}

/** The builder's conditions for `formula`, or null when it is not of the builder's shape. */
export function filterOf(formula: string, fields: Field[]): FilterSpec | null {
  if (!formula.trim()) return { conjunction: "AND", conditions: [] };
  const tokens = tokenize(formula);
  const node = tokens && new Parser(tokens).parse();
  if (!node) return null;
  const byName = new Map(fields.map((f) => [f.name, f]));
  const joined = node.kind === "call" && (node.name === "AND" || node.name === "OR") && node.args.length > 0;
  const parts = joined ? node.args : [node];
  const conditions = parts.map((part) => conditionOf(part, byName));
  if (conditions.some((c) => c === null)) return null;
  const conjunction: Conjunction = joined && node.name === "OR" ? "OR" : "AND";
  return { conjunction, conditions: conditions as Condition[] };
}
