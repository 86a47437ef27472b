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

/** Renders a config value for an error message: short, quoted when a string. */
export function showValue(value: unknown): string {
    if (value === undefined) {
        return "missing";
    }
    let text: string;
    try {
        text = JSON.stringify(value) ?? String(value);
    } catch {
        text = String(value);
    }
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
