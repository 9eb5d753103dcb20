// One error type for every answer the app gets: transcoded gRPC ({code, message, details}),
// Airtable's ({error: {type, message}}) and the session routes'.

export class ApiError extends Error {
  readonly status: number;
  /** gRPC code (number) from transcoded routes, or Airtable's error type. */
  readonly code: string;
  /** What was wrong with each bad field, from a transcoded INVALID_ARGUMENT's BadRequest. */
  readonly fields: FieldViolation[];

  constructor(status: number, message: string, code = "", fields: FieldViolation[] = []) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.fields = fields;
  }
}

export interface FieldViolation {
  field: string;
  description: string;
}

function fieldViolationsOf(body: unknown): FieldViolation[] {
  const details = (body as { details?: unknown } | null)?.details;
  if (!Array.isArray(details)) return [];
  return details.flatMap((detail: { field_violations?: unknown; fieldViolations?: unknown }) => {
    const violations = detail?.field_violations ?? detail?.fieldViolations;
    return Array.isArray(violations)
      ? violations.map((v: { field?: unknown; description?: unknown }) => ({
          field: String(v?.field ?? ""),
          description: String(v?.description ?? ""),
        }))
      : [];
  });
}

function messageOf(body: unknown): { message: string; code: string } | null {
  if (typeof body !== "object" || body === null) return null;
  const record = body as Record<string, unknown>;
  const error = record.error;
  if (typeof error === "object" && error !== null) {
    const inner = error as Record<string, unknown>;
    const type = typeof inner.type === "string" ? inner.type : "";
    const message = typeof inner.message === "string" ? inner.message : type;
    return { message, code: type };
  }
  if (typeof error === "string") {
    const message = typeof record.message === "string" ? record.message : error;
    return { message, code: error };
  }
  if (typeof record.message === "string") {
    return { message: record.message, code: String(record.code ?? "") };
  }
  return null;
}

/** The ApiError a failed response stands for, with the server's message when it sent one. */
export async function errorFrom(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => "");
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  const found = messageOf(parsed);
  const fallback = text.trim().slice(0, 200) || `${response.status} ${response.statusText}`;
  return new ApiError(response.status, found?.message || fallback, found?.code ?? "", fieldViolationsOf(parsed));
}

/** A message for people, whatever was thrown. */
export function describe(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof TypeError) return "The server could not be reached. Check your connection.";
  if (error instanceof Error) return error.message;
  return String(error);
}
