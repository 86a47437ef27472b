/**
 * Shorthands for the rules' cases: updates of the prod stack file (blue live with 1.0.0, green
 * staged with 1.1.0, steps 5, 25, 50, 100, minStepMinutes 5, warmMinutes 30).
 */
import { CaseUpdate } from "./rule";

/** The digest the cases' promotion source runs a version as. */
export const sourceDigest = (version: string): string => `sha256:${Buffer.from(version.padEnd(32, "-")).toString("hex").slice(0, 64)}`;

/** An update at minute `at` with these edits. */
export const at = (minute: number, edits: Readonly<Record<string, unknown>> = {}): CaseUpdate => ({ edits, at: minute });

/** An update that sets the candidate's weight. */
export const weight = (w: number, minute: number, more: Readonly<Record<string, unknown>> = {}): CaseUpdate => at(minute, { "slotshift:rollout.weight": w, ...more });

/** Stage green at 0 %, at minute 0. */
export const stage = (): CaseUpdate => weight(0, 0);

/** Stage, then step every 10 minutes up to `w` (5, 25, 50, 100). */
export const stepsTo = (w: number): CaseUpdate[] => [stage(), ...[5, 25, 50, 100].filter((s) => s <= w).map((s, i) => weight(s, 10 * (i + 1)))];

/** Green becomes live (from 100 %). */
export const finalize = (minute: number, more: Readonly<Record<string, unknown>> = {}): CaseUpdate =>
    at(minute, { "slotshift:rollout.live": "green", "slotshift:rollout.weight": 0, ...more });
