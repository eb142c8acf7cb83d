// A typed client for the Regret Regret API: openapi-fetch over the types that
// openapi-typescript generates from docs/openapi.yaml (src/schema.d.ts, `npm run generate`).
import createClient from "openapi-fetch";

import type { components, paths } from "./schema.js";

export type Checklist = components["schemas"]["Checklist"];
export type ApiError = components["schemas"]["Error"];

export function apiClient(baseUrl: string, accessToken?: string) {
  const headers: Record<string, string> = accessToken ? { Authorization: `Bearer ${accessToken}` } : {};
  return createClient<paths>({ baseUrl, headers });
}

/** The client's current local time with its UTC offset, e.g. 2025-06-19T01:00:00+08:00:
 * the server picks the checklist of that local day. */
export function localDatetime(now: Date = new Date()): string {
  const pad = (n: number) => String(Math.trunc(Math.abs(n))).padStart(2, "0");
  const offset = -now.getTimezoneOffset();
  const sign = offset >= 0 ? "+" : "-";
  return (
    `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}` +
    `T${pad(now.getHours())}:${pad(now.getMinutes())}:${pad(now.getSeconds())}` +
    `${sign}${pad(offset / 60)}:${pad(offset % 60)}`
  );
}
