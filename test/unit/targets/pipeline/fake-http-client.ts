// What the HTTP pipeline's unit tests share: an HttpClient that answers from a script, a
// MicrosoftHttp on it, a read and a write through it.
import {
  createHttpHeaders,
  RestError,
  type HttpClient,
  type PipelineRequest,
  type PipelineResponse,
} from "@azure/core-rest-pipeline";
import { MicrosoftHttp } from "../../../../targets/exchange-online/pipeline/microsoft-http";
import type { RetryOptions } from "../../../../targets/exchange-online/pipeline/retry-options";
import { credential } from "../fast-retry";

export const SCOPE = "https://graph.microsoft.com/.default";
export const URL_ = "https://graph.test/v1.0/users";

export type Answer = { status: number; headers?: Record<string, string>; body?: string } | RestError | Error;

/** An HttpClient that answers from a script (the last answer repeats) and records what it got. */
export class FakeClient implements HttpClient {
  readonly requests: { at: number; url: string; headers: Record<string, string>; body: string }[] = [];
  readonly #answers: Answer[];
  readonly #onSend: ((request: PipelineRequest) => void) | undefined;

  constructor(answers: Answer[], onSend?: (request: PipelineRequest) => void) {
    this.#answers = answers;
    this.#onSend = onSend;
  }

  async sendRequest(request: PipelineRequest): Promise<PipelineResponse> {
    this.requests.push({
      at: Date.now(),
      url: request.url,
      headers: request.headers.toJSON(),
      body: String(request.body ?? ""),
    });
    this.#onSend?.(request);
    const answer = this.#answers.length > 1 ? this.#answers.shift()! : this.#answers[0]!;
    if (answer instanceof Error) {
      if (answer instanceof RestError)
        throw new RestError(answer.message, { ...(answer.code ? { code: answer.code } : {}), request });
      throw answer;
    }
    return {
      request,
      status: answer.status,
      headers: createHttpHeaders(answer.headers ?? {}),
      bodyAsText: answer.body ?? "{}",
    };
  }
}

/** A MicrosoftHttp for Graph on `client`: 4 requests in flight unless told, the engine alive unless told. */
export function pipeline(
  client: HttpClient,
  options: RetryOptions,
  extra: { engineIsAlive?: () => boolean; maxConcurrency?: number } = {},
): MicrosoftHttp {
  return new MicrosoftHttp({
    credential,
    apiNames: new Map([[SCOPE, "Microsoft Graph"]]),
    maxConcurrency: extra.maxConcurrency ?? 4,
    retry: options,
    httpClient: client,
    ...(extra.engineIsAlive ? { engineIsAlive: extra.engineIsAlive } : {}),
  });
}

export const read = (http: MicrosoftHttp) => http.send(URL_, { what: "Microsoft Graph GET /users", scope: SCOPE });
export const dropped = () => new RestError("socket hang up", { code: "ECONNRESET" });

/** A write of a mailbox's addresses; `landed` tells whether it is there. */
export const write = (http: MicrosoftHttp, landed: () => Promise<boolean>) =>
  http.send("https://exchange.test/adminapi/beta/t/InvokeCommand", {
    what: "Exchange Set-Mailbox",
    scope: SCOPE,
    method: "POST",
    body: { CmdletInput: { CmdletName: "Set-Mailbox" } },
    write: { landed },
  });
