// Blocks of cells as tab-separated text, the way spreadsheets put them on the clipboard: a
// cell with a tab, a line break or a quote is quoted, its quotes doubled.

export function toTsv(block: string[][]): string {
  return block.map((row) => row.map(quoted).join("\t")).join("\n");
}

function quoted(text: string): string {
  return /[\t\n\r"]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The rows of cells in a pasted text; the line break that ends the last row is not a row. */
export function fromTsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let i = 0;
  while (i < text.length) {
    const char = text[i] as string;
    if (char === '"' && cell === "") {
      // A quoted cell: up to the quote that is not doubled.
      const end = closingQuote(text, i + 1);
      if (end >= 0) {
        cell = text.slice(i + 1, end).replace(/""/g, '"');
        i = end + 1;
        continue;
      }
    }
    if (char === "\t") {
      row.push(cell);
      cell = "";
    } else if (char === "\n" || char === "\r") {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
      if (char === "\r" && text[i + 1] === "\n") i++;
    } else {
      cell += char;
    }
    i++;
  }
  if (cell !== "" || row.length) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}

function closingQuote(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    if (text[i] !== '"') continue;
    if (text[i + 1] === '"') {
      i++;
      continue;
    }
    // Only a quote that ends the cell closes it; otherwise the cell was not quoted after all.
    const after = text[i + 1];
    return after === undefined || after === "\t" || after === "\n" || after === "\r" ? i : -1;
  }
  return -1;
}
