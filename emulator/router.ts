// The emulator's router: a table of routes, each a method and a path pattern with its handler, and
// areas (the control plane, Graph) that share a path prefix, a guard that runs first (a token
// check, an injected fault) and an answer for a path in the area that no route takes. The first
// entry that takes a request answers it; one that takes none falls through to `otherwise`.
import type { IncomingMessage, ServerResponse } from "node:http";

/** One request on its way through the table. */
export interface Call {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly url: URL;
  /** `url.pathname`. */
  readonly path: string;
  readonly method: string;
  /** The matching route's pattern against `path` (its capture groups). */
  readonly match: RegExpExecArray;
}

export type Handler = (call: Call) => Promise<void> | void;

/** A method (or "*", any) and a path pattern, with its handler. */
export interface Route {
  readonly method: string | readonly string[];
  readonly path: RegExp;
  readonly handle: Handler;
}

/**
 * Routes under one path prefix. `guard` runs first for every request in the area and returns
 * false when it has answered (refused it, or injected a fault); `otherwise` answers a request
 * of the area that none of its routes takes.
 */
export interface Area {
  readonly area: RegExp;
  readonly guard?: (call: Call) => Promise<boolean> | boolean;
  readonly routes: readonly RouteEntry[];
  readonly otherwise: Handler;
}

export type RouteEntry = Route | Area;

const takesMethod = (route: Route, method: string) =>
  route.method === "*" || (typeof route.method === "string" ? route.method === method : route.method.includes(method));

/**
 * Answers a request by the first entry of `table` that takes it; true when one did. A route
 * takes a request whose method and path it matches; an area, any request under its prefix.
 */
export async function dispatch(table: readonly RouteEntry[], call: Omit<Call, "match">): Promise<boolean> {
  for (const entry of table) {
    if ("area" in entry) {
      const match = entry.area.exec(call.path);
      if (match === null) continue;
      const inArea = { ...call, match };
      if (entry.guard !== undefined && !(await entry.guard(inArea))) return true;
      if (!(await dispatch(entry.routes, call))) await entry.otherwise(inArea);
      return true;
    }
    const match = entry.path.exec(call.path);
    if (match === null || !takesMethod(entry, call.method)) continue;
    await entry.handle({ ...call, match });
    return true;
  }
  return false;
}
