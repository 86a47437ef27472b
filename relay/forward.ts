/**
 * What the rollback relay does with one Azure Monitor notification: forward it
 * to GitHub as a `slotshift-rollback` repository dispatch, or skip it and say
 * why. Pure; never throws, whatever the body.
 *
 * The notification is the common alert schema ("Common alert schema", Azure
 * Monitor docs, MicrosoftDocs/azure-monitor-docs
 * articles/azure-monitor/alerts/alerts-common-schema.md, ms.date 07/09/2025):
 *
 *     { "schemaId": "azureMonitorCommonAlertSchema",
 *       "data": { "essentials": {...}, "alertContext": {...}, "customProperties": {...} } }
 *
 * - `essentials.monitorCondition`: "When an alert fires, the alert's monitor
 *   condition is set to **Fired**. When the underlying condition that caused the
 *   alert to fire clears, the monitor condition is set to **Resolved**."
 * - `essentials.firedDateTime`: "The date and time when the alert instance was
 *   fired in Coordinated Universal Time (UTC)."
 * - Custom properties: "Key:Value pair that can include any information
 *   configured in the alert rule". Where they land differs by rule: the
 *   documented samples put them in `data.customProperties` for metric alerts and
 *   in `data.alertContext.properties` for log search alerts V2 (the "Log alert V2"
 *   test-action sample has `alertContext.properties` and no `customProperties`;
 *   the metric one has both). This module reads both, `data.customProperties`
 *   winning a key present in both.
 * - Log search alerts V2 split by dimension carry the split values in
 *   `alertContext.condition.allOf[].dimensions: [{ name, value }]`.
 *
 * The slotshift rules (components/monitoringAlerts.ts) set the custom properties
 * `{ app, stack, signal, rollback: "true" | "false" }`, and no slot: the slot is
 * only the alert's `slot` dimension (log rules split by the query's `slot`
 * column, `blue` or `green`). A rule without that dimension (the database
 * server's metric rules, shared by both slots) has no slot, and is skipped.
 *
 * A `slot` custom property is still read, as a fallback only: rules written by
 * earlier slotshift versions, or by hand, may carry one. It never overrides the
 * dimension, and a property that contradicts the dimension makes the slot
 * unknown (skipped), so the fallback can add a dispatch only where no dimension
 * names a slot.
 */

/** The slots a rollback can name. */
export type RollbackSlot = "blue" | "green";

/** What the relay sends as the dispatch's `client_payload` (4 of GitHub's 10 allowed top-level properties). */
export interface RollbackDispatch {
    /** The stack to roll back: the alert rule's `stack` custom property, equal to the relay's own. */
    readonly stack: string;
    /** The failing slot. */
    readonly slot: RollbackSlot;
    /** The rule's signal (`error-rate`, `p99-latency`, `health`...): its `signal` custom property. */
    readonly signal: string;
    /** When the alert fired (UTC), as Azure Monitor wrote it. */
    readonly firedAt: string;
}

/** The relay's decision: a dispatch, or a sentence saying why none. */
export type ForwardDecision = { readonly dispatch: RollbackDispatch } | { readonly skip: string };

/** What a relay serves: one stack. */
export interface RelayScope {
    readonly stack: string;
}

/** The common alert schema's `schemaId`. */
export const COMMON_ALERT_SCHEMA_ID = "azureMonitorCommonAlertSchema";

/** The name of the dimension (and query column) that says which slot a log alert is about. */
export const SLOT_DIMENSION = "slot";

/** The longest `signal` the relay forwards: rule ids are short; anything longer is not one of ours. */
const MAX_SIGNAL_LENGTH = 100;

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isSlot(value: unknown): value is RollbackSlot {
    return value === "blue" || value === "green";
}

/** A value for a reason sentence: short, quoted, never a whole payload. */
function shown(value: unknown): string {
    if (value === undefined) {
        return "absent";
    }
    const text = JSON.stringify(value) ?? String(value);
    return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** The rule's custom properties: `alertContext.properties` (log alerts V2) overlaid by `data.customProperties`. */
function customProperties(data: JsonObject): JsonObject {
    const context = isObject(data.alertContext) ? data.alertContext : {};
    const fromContext = isObject(context.properties) ? context.properties : {};
    const fromData = isObject(data.customProperties) ? data.customProperties : {};
    return { ...fromContext, ...fromData };
}

/** The value of the `slot` dimension of the first condition, when there is one. */
function slotDimension(data: JsonObject): unknown {
    const context = isObject(data.alertContext) ? data.alertContext : undefined;
    const condition = context && isObject(context.condition) ? context.condition : undefined;
    const first = condition && Array.isArray(condition.allOf) ? condition.allOf[0] : undefined;
    const dimensions = isObject(first) && Array.isArray(first.dimensions) ? first.dimensions : [];
    const found = dimensions.find((d): d is JsonObject => isObject(d) && d.name === SLOT_DIMENSION);
    return found?.value;
}

/**
 * The failing slot: the `slot` dimension when it says blue or green, else (a
 * fallback for rules of earlier versions or made by hand; today's rules set no
 * such property) the rule's `slot` custom property when it does. Both valid but
 * different: unknown (a misconfigured rule; rolling back on a guess is worse
 * than paging people).
 */
function failingSlot(data: JsonObject, properties: JsonObject): { slot: RollbackSlot } | { unknown: string } {
    const dimension = slotDimension(data);
    const property = properties.slot;
    if (isSlot(dimension) && isSlot(property) && dimension !== property) {
        return { unknown: `the slot dimension says ${dimension} but the rule's slot custom property says ${property}` };
    }
    if (isSlot(dimension)) {
        return { slot: dimension };
    }
    if (isSlot(property)) {
        return { slot: property };
    }
    return { unknown: `no slot dimension says blue or green (dimension ${shown(dimension)}) and the rule's slot custom property is ${shown(property)}` };
}

/**
 * Decides what to do with one notification. `payload` is the parsed body, or
 * the raw body text (then parsed here). Dispatches only a fired alert, in the
 * common alert schema, of a rollback trigger (`rollback: "true"`) of this
 * relay's stack, whose slot is known.
 */
export function forwardDecision(payload: unknown, expected: RelayScope): ForwardDecision {
    let body = payload;
    if (typeof payload === "string") {
        try {
            body = JSON.parse(payload) as unknown;
        } catch {
            return { skip: "the body is not JSON" };
        }
    }
    if (!isObject(body)) {
        return { skip: `the body is not a JSON object (${shown(body)})` };
    }
    if (body.schemaId !== COMMON_ALERT_SCHEMA_ID) {
        return { skip: `the body is not in the common alert schema (schemaId ${shown(body.schemaId)}): the webhook receiver must set useCommonAlertSchema` };
    }
    const data = body.data;
    if (!isObject(data) || !isObject(data.essentials)) {
        return { skip: "the alert has no data.essentials: not a common alert schema notification" };
    }
    const essentials = data.essentials;
    const rule = typeof essentials.alertRule === "string" ? essentials.alertRule : "(unnamed rule)";
    if (essentials.monitorCondition === "Resolved") {
        return { skip: `the alert of rule ${rule} is resolved: nothing to roll back` };
    }
    if (essentials.monitorCondition !== "Fired") {
        return { skip: `the alert of rule ${rule} has monitorCondition ${shown(essentials.monitorCondition)}, neither Fired nor Resolved` };
    }
    const properties = customProperties(data);
    if (properties.rollback === undefined) {
        return {
            skip: `rule ${rule} is not a slotshift rule: it carries no rollback custom property (an action group's test notification, or another system's rule)`,
        };
    }
    if (properties.rollback !== "true") {
        return { skip: `rule ${rule} is not a rollback trigger (rollback ${shown(properties.rollback)}): people are notified, nothing rolls back` };
    }
    if (properties.stack !== expected.stack) {
        return { skip: `rule ${rule} is for stack ${shown(properties.stack)}; this relay serves stack ${shown(expected.stack)}` };
    }
    const slot = failingSlot(data, properties);
    if ("unknown" in slot) {
        return { skip: `slot unknown for rule ${rule}: ${slot.unknown}` };
    }
    const signal = properties.signal;
    if (typeof signal !== "string" || signal.length === 0 || signal.length > MAX_SIGNAL_LENGTH) {
        return { skip: `rule ${rule} has no usable signal custom property (${shown(signal)})` };
    }
    const firedAt = essentials.firedDateTime;
    if (typeof firedAt !== "string" || Number.isNaN(Date.parse(firedAt))) {
        return { skip: `the alert of rule ${rule} has no usable firedDateTime (${shown(firedAt)})` };
    }
    // Sent as strict ISO 8601 UTC, the only form `slotshift should-rollback --fired-at` takes.
    return { dispatch: { stack: expected.stack, slot: slot.slot, signal, firedAt: new Date(firedAt).toISOString() } };
}
