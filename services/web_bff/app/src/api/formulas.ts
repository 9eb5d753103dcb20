// Airtable formula text built from user input, escaped so that input stays data.

/** A field reference: its name in braces, with "\" and "}" escaped. */
export function fieldRef(name: string): string {
  return `{${name.replace(/\\/g, "\\\\").replace(/}/g, "\\}")}}`;
}

/** A string literal: single-quoted, with "\" and "'" escaped. */
export function stringLiteral(value: string): string {
  return `'${value.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}
