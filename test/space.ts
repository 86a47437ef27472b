/**
 * The bounded world of the exhaustive search: every prod config of it (live slot, weight, each
 * slot's version or none, decommissioned or not, force on or off), parsed once. Used by the
 * exhaustive search of the decision.
 */
import { SLOT_COLOURS, SlotColour, SlotshiftConfig, parseStackConfig } from "../rollout/config";
import { ConfigError } from "../rollout/errors";
import { RolloutState } from "../rollout/state";
import { edited, sourceLive, withKey } from "./helpers";

const VERSIONS = [null, "1.0.0", "1.1.0", "1.2.0", "1.3.0-rc.1"] as const;
const WEIGHTS = [0, 5, 25, 50, 100];
const SHA: Record<string, string> = { "1.0.0": "a1b2c3d", "1.1.0": "e4f5a6b", "1.2.0": "0c0ffee", "1.3.0-rc.1": "abcdef1" };
export const digestOf = (v: string) => `sha256:${Buffer.from(v.padEnd(32, "~")).toString("hex").slice(0, 64)}`;

export interface World {
    readonly live: SlotColour;
    readonly weight: number;
    readonly versions: Record<SlotColour, string | null>;
    readonly decommissioned: Record<SlotColour, boolean>;
    readonly force: boolean;
    /** `slotshift:rollout.retry` set to the time of the rollback the previous state records (steps only). */
    readonly retry: boolean;
    /** A contract migration declared, requiring CONTRACT_REQUIRES. */
    readonly contract: boolean;
}

/** The version the world's contract migration requires of every slot that can take traffic. */
export const CONTRACT_REQUIRES = "1.1.0";

/** Every config of the bounded world, parsed once; the schema's refusals are dropped (they never reach decide). */
export function allConfigs(): { world: World; cfg: SlotshiftConfig }[] {
    const out: { world: World; cfg: SlotshiftConfig }[] = [];
    for (const live of SLOT_COLOURS) {
        for (const weight of WEIGHTS) {
            for (const blue of VERSIONS) {
                for (const green of VERSIONS) {
                    for (const decoBlue of [false, true]) {
                        for (const decoGreen of [false, true]) {
                            for (const [force, retry, contract] of [
                                [false, false, false],
                                [true, false, false],
                                [false, false, true],
                                ...(weight > 0 ? [[false, true, false]] : []),
                            ]) {
                                const world: World = { live, weight, versions: { blue, green }, decommissioned: { blue: decoBlue, green: decoGreen }, force, retry, contract };
                                let config = edited("prod", { "slotshift:rollout.live": live, "slotshift:rollout.weight": weight, "slotshift:rollout.force": force });
                                if (contract) {
                                    config = withKey(config, "slotshift:migrations", { databaseSecret: { name: "db" }, contract: { command: ["migrate", "contract"], requires: CONTRACT_REQUIRES } });
                                }
                                for (const c of SLOT_COLOURS) {
                                    const v = world.versions[c];
                                    config = withKey(config, `slotshift:slots.${c}`, v === null ? {} : { version: v, gitSha: SHA[v], decommissioned: world.decommissioned[c] });
                                }
                                try {
                                    out.push({ world, cfg: parseStackConfig(config, "prod") });
                                } catch (e) {
                                    if (!ConfigError.isInstance(e)) {
                                        throw e;
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    return out;
}

/** What staging has live: whatever the candidate being staged is (the promotion gate has its own tests). */
export function source(cfg: SlotshiftConfig): RolloutState | undefined {
    const cand = cfg.rollout.live === "blue" ? "green" : "blue";
    const v = cfg.slots[cand].version;
    if (v === undefined) {
        return undefined;
    }
    return sourceLive(v, digestOf(v));
}

