// Small HTTP helpers shared by the emulator's endpoints: bounded body reads that fail with a
// status (413, 400) instead of an exception, JSON answers, and bearer tokens.
import type { IncomingMessage, ServerResponse } from "node:http";
import { MailboxAddressesError } from "../core/errors";

/** Largest request body the emulator reads (a $batch of 20 or a Set-Mailbox is far smaller). */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** A request the emulator refuses before any endpoint sees it: answered with `status`. */
export class RequestError extends MailboxAddressesError {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = "RequestError";
    this.status = status;
    this.code = code;
  }
}

/** The body as text; 413 when it is larger than `limit` (checked on Content-Length first). */
export async function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<string> {
  const declared = Number(req.headers["content-length"] ?? NaN);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    throw new RequestError(
      413,
      "RequestEntityTooLarge",
      `The request body is ${declared} bytes; at most ${limit} are accepted.`,
    );
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit)
      throw new RequestError(413, "RequestEntityTooLarge", `The request body is larger than ${limit} bytes.`);
    chunks.push(chunk as Buffer);
  }
  const bytes = Buffer.concat(chunks);
  const text = bytes.toString("utf8");
  if (Buffer.byteLength(text) !== bytes.length)
    throw new RequestError(400, "BadRequest", "The request body is not valid UTF-8.");
  return text;
}

/** The body parsed as JSON; 400 when it is not JSON. An empty body is `{}`. */
export async function readJsonBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<unknown> {
  const text = await readBody(req, limit);
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new RequestError(400, "BadRequest", "The request body is not valid JSON.");
  }
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** The bearer token of a request, if any. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization ?? "";
  return /^Bearer /i.test(header) ? header.slice(7).trim() : undefined;
}

/** The client's correlation id (echoed as Microsoft's services do), if it sent a usable one. */
export function clientRequestId(req: IncomingMessage): string | undefined {
  const sent = req.headers["client-request-id"];
  const value = Array.isArray(sent) ? sent[0] : sent;
  return value !== undefined && /^[\w.:-]{1,128}$/.test(value) ? value : undefined;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
