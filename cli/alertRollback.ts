/**
 * Whether an alert from the relay (`repository_dispatch` of type
 * `slotshift-rollback`, `{ stack, slot, signal, firedAt }`) rolls a stack back.
 * Pure: the event, what is deployed (the stack's `rollout` output) and the time.
 *
 * An alert rolls back only the candidate that carries traffic now, and only if
 * it fired while that build was carrying traffic. The rollout output records
 * when it began to: `trafficSince`, set when the candidate's weight leaves 0 and
 * kept through further steps, jumps and steps back (a build never changes while
 * it carries traffic). An alert that fired at 5 % and arrives after the step to
 * 25 % still rolls back: it is about the same build, and Azure's stateful alert
 * will not fire again until it resolves. An alert that fired before it (or before
 * the last finalize) may concern another build, or the same build before a
 * rollback and a retry, which set `trafficSince` anew: no rollback.
 * `stepTakenAt`, which every step moves, is not the time to compare with.
 */
import { SLOT_COLOURS, SlotColour } from "../rollout/config";
import { RolloutState } from "../rollout/state";
import { STEP_TAKEN_SKEW_MINUTES, parseIsoTime } from "./inputs";

/** What the relay sends, as received: every field untrusted. */
export interface AlertEvent {
    readonly stack: string;
    readonly slot?: string;
    /** The alert rule that fired, e.g. `error-rate`; shown, never decided on. */
    readonly signal?: string;
    /** When the alert fired, ISO 8601 UTC. */
    readonly firedAt?: string;
}

/** The answer, with one line saying why. */
export type AlertRollbackDecision = { readonly go: true; readonly reason: string } | { readonly go: false; readonly reason: string };

/** What the decision needs besides the event and the deployed state. */
export interface AlertContext {
    readonly now: Date;
    /** The project's stacks (a `Pulumi.<stack>.yaml` each). */
    readonly stacks: readonly string[];
}

/** How far past now an alert's firedAt may be before its clock is not trusted. */
export const FUTURE_SKEW_MINUTES = STEP_TAKEN_SKEW_MINUTES;

/** The longest piece of an event shown in a reason. */
const SHOWN = 40;

/**
 * An untrusted value for a reason line: double-quoted, anything outside
 * printable ASCII (and `"`, `\`, `<`, `>`, `&`, backtick) escaped as `\uXXXX`, at most
 * 40 characters between the quotes (then `...`), so it is one short, harmless
 * line in a log, a step summary or an output file.
 */
export function shown(value: unknown): string {
    const text = typeof value === "string" ? value : JSON.stringify(value) ?? String(value);
    let body = "";
    for (let i = 0; i < text.length; i++) {
        const unit = text[i];
        const e = /^[\x20-\x7e]$/.test(unit) && !/^["\\<>&`]$/.test(unit) ? unit : `\\u${unit.charCodeAt(0).toString(16).padStart(4, "0")}`;
        if (body.length + e.length > SHOWN) {
            return `"${body}..."`;
        }
        body += e;
    }
    return `"${body}"`;
}

const ISO_UTC = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z$/;

/**
 * A strict ISO 8601 UTC time: `YYYY-MM-DDTHH:MM:SS[.fraction]Z`, a real date
 * (no February 30th, no 24:00), up to 9 fraction digits (Azure Monitor sends 7).
 * Undefined for anything else.
 */
export function parseAlertTime(text: string): Date | undefined {
    // Seconds required (what Azure sends); the calendar check is parseIsoTime's.
    return ISO_UTC.test(text) ? parseIsoTime(text) : undefined;
}

/** The example every firedAt message gives. */
export const FIRED_AT_EXAMPLE = "2026-11-26T14:00:03Z";

const noop = (reason: string): AlertRollbackDecision => ({ go: false, reason });

/**
 * What the event alone decides: a no-op for an unknown stack, a missing or
 * unknown slot, a missing, malformed or future firedAt; undefined when what is
 * deployed must decide. Nothing of the stack is read before this passes.
 */
export function eventDecision(event: AlertEvent, ctx: AlertContext): AlertRollbackDecision | undefined {
    const allowed = [...ctx.stacks].sort().join(", ");
    if (event.stack === "") {
        return noop(`the alert names no stack; allowed: ${allowed}`);
    }
    if (!ctx.stacks.includes(event.stack)) {
        return noop(`stack ${shown(event.stack)} is not a stack of this project; allowed: ${allowed}`);
    }
    const stack = event.stack;
    if (event.slot === undefined || event.slot === "") {
        return noop(`the alert on ${stack} names no slot (a signal of the whole stack, e.g. the shared database): only a candidate's alert rolls back`);
    }
    if (!(SLOT_COLOURS as readonly string[]).includes(event.slot)) {
        return noop(`slot ${shown(event.slot)} of the alert on ${stack} is not a slot; allowed: ${SLOT_COLOURS.join(", ")}`);
    }
    if (event.firedAt === undefined || event.firedAt === "") {
        return noop(`the alert on ${stack} ${event.slot} gives no firedAt: it cannot be matched to what is deployed`);
    }
    const fired = parseAlertTime(event.firedAt);
    if (fired === undefined) {
        return noop(`firedAt ${shown(event.firedAt)} is not an ISO 8601 UTC time, e.g. ${FIRED_AT_EXAMPLE}`);
    }
    if (fired.getTime() > ctx.now.getTime() + FUTURE_SKEW_MINUTES * 60000) {
        return noop(`the alert on ${stack} ${event.slot} fired at ${event.firedAt}, more than ${FUTURE_SKEW_MINUTES} minutes after now (${ctx.now.toISOString()}): its clock is not trusted`);
    }
    return undefined;
}

/**
 * Whether the alert rolls the stack back, as deployed now: only an alert on the
 * candidate carrying traffic, fired at or after `trafficSince` (and after the
 * last finalize, if any), does.
 *
 * @param deployed the stack's `rollout` output (`pulumi stack output --json`); undefined for a stack never updated
 */
export function alertRollbackDecision(event: AlertEvent, deployed: RolloutState | undefined, ctx: AlertContext): AlertRollbackDecision {
    const early = eventDecision(event, ctx);
    if (early !== undefined) {
        return early;
    }
    const stack = event.stack;
    const slot = event.slot as SlotColour;
    const firedAt = event.firedAt as string;
    if (deployed === undefined) {
        return noop(`${stack} has no rollout output (never updated): nothing to roll back`);
    }
    const cand = deployed.candidate;
    if (deployed.strategy === "direct" || cand === null) {
        return noop(`${stack} deploys in place (strategy direct): no second slot to roll back to; roll back by hand (workflow_dispatch with a version)`);
    }
    const weight = deployed.weights[cand];
    if (slot === deployed.live) {
        return noop(`${slot} is ${stack}'s live slot (${cand} is the candidate at ${weight} %): an alert on the live slot is for people, not a rollback`);
    }
    if (deployed.warm === slot) {
        return noop(`${slot} is ${stack}'s warm slot (the previous release, since the finalize at ${deployed.finalizedAt ?? "?"}): it takes no traffic; not a rollback`);
    }
    if (deployed.phase === "stable") {
        return noop(`${stack} is stable (${deployed.live} live, ${cand} runs nothing): nothing to roll back`);
    }
    if (weight === 0) {
        return deployed.transition === "rollback" || deployed.transition === "rollback-after-finalize"
            ? noop(`${slot} is at 0 % in ${stack}: already rolled back at ${deployed.stepTakenAt}`)
            : noop(`${slot} is staged at 0 % in ${stack}: it takes no traffic; nothing to roll back`);
    }
    const fired = (parseAlertTime(firedAt) as Date).getTime();
    // trafficSince is null only in a state written by hand: stepTakenAt is then the bound known.
    const traffic = deployed.trafficSince ?? deployed.stepTakenAt;
    const afterFinalize = deployed.finalizedAt !== null && Date.parse(deployed.finalizedAt) > Date.parse(traffic);
    const since = afterFinalize ? `the finalize at ${deployed.finalizedAt}` : `${slot} began carrying traffic in ${stack} at ${traffic}`;
    if (!(fired >= Math.max(Date.parse(traffic), deployed.finalizedAt === null ? -Infinity : Date.parse(deployed.finalizedAt)))) {
        return noop(`the alert fired at ${firedAt}, before ${since}: it concerns an earlier state; no rollback`);
    }
    const signal = event.signal === undefined || event.signal === "" ? "" : ` ${shown(event.signal)}`;
    return { go: true, reason: `${slot} is ${stack}'s candidate at ${weight} % and its alert${signal} fired at ${firedAt}, after ${since}: roll back` };
}
