/** What slotshift prints in place of a secret: in refusals, plans and the offline engine's inputs. */
export const SECRET_MARK = "[secret]";

/**
 * A stack config that slotshift refuses. `key` is the full config key path
 * (`slotshift:rollout.weight`); the message names the key, the value given and
 * what is allowed. Nothing is registered once one of these is thrown.
 */
export class ConfigError extends Error {
    /** The config key path the refusal is about, e.g. `slotshift:rollout.weight`. */
    public readonly key: string;
    /** Every problem found, one line each; `message` starts with the first. */
    public readonly problems: readonly string[];

    constructor(key: string, message: string, problems?: readonly string[]) {
        super(message);
        this.name = "ConfigError";
        this.key = key;
        this.problems = problems ?? [message];
    }

    /** True for a ConfigError, also across copies of this module. */
    static isInstance(value: unknown): value is ConfigError {
        return value instanceof Error && value.name === "ConfigError" && typeof (value as ConfigError).key === "string";
    }
}

/** The longest value a message shows; a longer one is cut, ending in `...`. */
export const SHOWN_VALUE_LENGTH = 80;

/**
 * Renders a config value for an error message: JSON-like, quoted when a string, at most
 * `max` characters (then `...`), one line. Numbers JSON cannot hold show as they are
 * (`Infinity`, `-Infinity`, `NaN`), not as JSON's `null`. Only as much of the value is
 * rendered as is shown, however large it is.
 */
export function showValue(value: unknown, max: number = SHOWN_VALUE_LENGTH): string {
    if (value === undefined) {
        return "missing";
    }
    const text = render(value, max + 1).replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
    return text.length > max ? `${text.slice(0, Math.max(0, max - 3))}...` : text;
}

/** Characters JSON leaves as they are that would break or disguise a line: C1 controls, line separators, bidi controls, BOM. */
const UNSAFE = /[\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;

/** JSON-like text of a value, stopping once `budget` characters are written. */
function render(value: unknown, budget: number): string {
    if (typeof value === "number") {
        return Number.isFinite(value) ? JSON.stringify(value) : String(value);
    }
    if (typeof value === "string") {
        return JSON.stringify(value.length > budget ? value.slice(0, budget) : value);
    }
    if (value === null || typeof value === "boolean") {
        return String(value);
    }
    if (typeof value === "bigint") {
        return String(value);
    }
    if (typeof value !== "object") {
        return String(value);
    }
    if (Array.isArray(value)) {
        let out = "[";
        for (let i = 0; i < value.length; i++) {
            if (out.length >= budget) {
                return out;
            }
            out += `${i === 0 ? "" : ","}${value[i] === undefined ? "null" : render(value[i], budget - out.length)}`;
        }
        return `${out}]`;
    }
    let out = "{";
    for (const k in value) {
        if (!Object.prototype.hasOwnProperty.call(value, k)) {
            continue;
        }
        if (out.length >= budget) {
            return out;
        }
        const v = (value as Record<string, unknown>)[k];
        out += `${out === "{" ? "" : ","}${JSON.stringify(k.length > budget ? k.slice(0, budget) : k)}:${v === undefined ? "null" : render(v, budget - out.length)}`;
    }
    return `${out}}`;
}
