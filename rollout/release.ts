/**
 * The `release` stack output: what each slot runs, its build metadata and the
 * image tags its environment publishes. Pure: built from config alone.
 */
import { SlotColour, SlotshiftConfig, otherSlot } from "./config";
import { BuildMetadata, ImageTag, buildMetadata, imageTags } from "./versions";

/** One slot's release: build metadata, slot and tag set. */
export interface SlotRelease extends BuildMetadata {
    /** The slot that runs it. */
    readonly slot: SlotColour;
    /** The image tags this environment publishes for the build (empty when no git sha is known). */
    readonly tags: readonly ImageTag[];
}

/** The `release` output: the environment, the image repository, and the live and candidate releases. */
export interface ReleaseOutput {
    readonly environment: string;
    readonly image: string;
    readonly live: SlotRelease;
    /** The candidate slot's release; null when it holds no version. */
    readonly candidate: SlotRelease | null;
}

/** The release a slot holds, or null when the slot is empty. */
export function slotRelease(cfg: SlotshiftConfig, colour: SlotColour): SlotRelease | null {
    const s = cfg.slots[colour];
    if (s.version === undefined) {
        return null;
    }
    const meta = buildMetadata({ ...s, environment: cfg.environment, version: s.version });
    const tags = s.gitSha === undefined
        ? []
        : imageTags({ environment: cfg.environment, repository: cfg.app.image, version: s.version, gitSha: s.gitSha });
    return { ...meta, slot: colour, tags };
}

/** The whole `release` output for a parsed config. */
export function releaseOutput(cfg: SlotshiftConfig): ReleaseOutput {
    const live = slotRelease(cfg, cfg.rollout.live);
    if (!live) {
        // parseStackConfig refuses a live slot without a version; reaching this is a bug.
        throw new Error(`slotshift: live slot ${cfg.rollout.live} has no version`);
    }
    const candidate = cfg.rollout.strategy === "direct" ? null : slotRelease(cfg, otherSlot(cfg.rollout.live));
    return { environment: cfg.environment, image: cfg.app.image, live, candidate };
}
