/**
 * Versions, the per-environment version policy, the image tag set of each
 * environment and the build metadata that travels with a release.
 *
 * Source: the release process's versions, tags and build metadata, docs/RELEASE-PROCESS.md §1 and §2
 * (the environments table: README, "What slotshift is").
 */
import * as semver from "semver";

/** The three environments slotshift knows. */
export const ENVIRONMENTS = ["dev", "staging", "prod"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

/** A parsed semantic version, normalised (no leading `v`). */
export interface Version {
    /** The normalised version text, e.g. `1.1.0-rc.1+build.7`. */
    readonly raw: string;
    readonly major: number;
    readonly minor: number;
    readonly patch: number;
    /** Prerelease identifiers, e.g. `["rc", 1]`; empty for a release. */
    readonly prerelease: readonly (string | number)[];
    /** Build metadata identifiers, e.g. `["build", "123"]`. */
    readonly build: readonly string[];
}

/**
 * Parses a semantic version. A leading `v` (as in the git tag `v1.0.0`) is
 * accepted and dropped. Returns undefined for anything that is not semver.
 */
export function parseVersion(text: string): Version | undefined {
    if (typeof text !== "string") {
        return undefined;
    }
    const trimmed = text.startsWith("v") ? text.slice(1) : text;
    // semver.parse tolerates surrounding spaces and a leading "="; insist on the exact grammar.
    if (!/^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/.test(trimmed)) {
        return undefined;
    }
    const parsed = semver.parse(trimmed, { loose: false });
    if (!parsed) {
        return undefined;
    }
    return {
        raw: trimmed,
        major: parsed.major,
        minor: parsed.minor,
        patch: parsed.patch,
        prerelease: [...parsed.prerelease],
        build: [...parsed.build],
    };
}

/** True when the version is a release candidate, `X.Y.Z-rc.N`. */
export function isReleaseCandidate(v: Version): boolean {
    return v.prerelease.length === 2 && v.prerelease[0] === "rc" && typeof v.prerelease[1] === "number";
}

/** What each environment accepts, in words, for error messages and the README. */
export const VERSION_POLICY: Readonly<Record<Environment, string>> = {
    dev: "any semantic version, prereleases and +build metadata included",
    staging: "a release candidate X.Y.Z-rc.N, another prerelease (X.Y.Z-beta.N) or a release X.Y.Z, without +build metadata",
    prod: "a release X.Y.Z only: no prerelease, no +build metadata",
};

/**
 * Checks a version against the environment's policy. Returns undefined when
 * accepted, or the reason it is refused (one sentence, no key: callers add it).
 */
export function versionPolicyViolation(env: Environment, text: string): string | undefined {
    const v = parseVersion(text);
    if (!v) {
        return `it is not a semantic version (MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD], e.g. 1.4.0 or 1.4.0-rc.1)`;
    }
    switch (env) {
        case "dev":
            return undefined;
        case "staging":
            return v.build.length > 0 ? `staging takes ${VERSION_POLICY.staging}` : undefined;
        case "prod":
            return v.prerelease.length > 0 || v.build.length > 0 ? `prod takes ${VERSION_POLICY.prod}` : undefined;
    }
}

/**
 * Compares two versions by semver precedence (build metadata ignored).
 * Negative when a < b, 0 when equal, positive when a > b.
 */
export function compareVersions(a: string, b: string): number {
    const va = parseVersion(a);
    const vb = parseVersion(b);
    if (!va || !vb) {
        throw new Error(`cannot compare ${JSON.stringify(a)} with ${JSON.stringify(b)}: not both semantic versions`);
    }
    return semver.compare(va.raw, vb.raw);
}

/** One image tag an environment publishes. */
export interface ImageTag {
    /** The tag itself, e.g. `1.0.0-a1b2c3d`. */
    readonly tag: string;
    /** The full reference, `repository:tag`. */
    readonly ref: string;
    /** Immutable tags name one build for ever; moving tags are re-pointed at every release. */
    readonly immutable: boolean;
    /** The one tag per environment that slots resolve to a digest and deploy from. */
    readonly deployFrom: boolean;
}

/** What a tag set is made from. */
export interface TagInput {
    /** The environment the tags are for. */
    readonly environment: Environment;
    /** The image repository, without tag or digest. */
    readonly repository: string;
    /** The release's version (must satisfy the environment's policy). */
    readonly version: string;
    /** The git commit the image was built from (7 to 40 hex characters). */
    readonly gitSha: string;
}

/**
 * The image tags an environment produces for a build, exactly as the tag
 * table of docs/RELEASE-PROCESS.md §2 gives them:
 *
 * | env     | tags                                          | deployed from   |
 * |---------|-----------------------------------------------|-----------------|
 * | prod    | `vX.Y.Z`, `X.Y`, `X.Y.Z-<sha>`, `latest`      | `X.Y.Z-<sha>`   |
 * | staging | `vX.Y.Z-rc.N`, `main-<sha>`, `staging`        | `main-<sha>`    |
 * | dev     | `develop-<sha>`, `dev`                        | `develop-<sha>` |
 *
 * Moving tags (`latest`, `X.Y`, `staging`, `dev`) are for people; slots deploy
 * the digest of the `deployFrom` tag.
 */
export function imageTags(input: TagInput): ImageTag[] {
    const violation = versionPolicyViolation(input.environment, input.version);
    if (violation) {
        throw new Error(`cannot tag ${JSON.stringify(input.version)} for ${input.environment}: ${violation}`);
    }
    if (!/^[0-9a-f]{7,40}$/.test(input.gitSha)) {
        throw new Error(`cannot tag with git sha ${JSON.stringify(input.gitSha)}: 7 to 40 lowercase hex characters expected`);
    }
    const v = parseVersion(input.version)!;
    const make = (tag: string, immutable: boolean, deployFrom = false): ImageTag => ({
        tag,
        ref: `${input.repository}:${tag}`,
        immutable,
        deployFrom,
    });
    switch (input.environment) {
        case "prod":
            return [
                make(`v${v.raw}`, true),
                make(`${v.major}.${v.minor}`, false),
                make(`${v.raw}-${input.gitSha}`, true, true),
                make("latest", false),
            ];
        case "staging":
            return [make(`v${v.raw}`, true), make(`main-${input.gitSha}`, true, true), make("staging", false)];
        case "dev":
            return [make(`develop-${input.gitSha}`, true, true), make("dev", false)];
    }
}

/** The tag a slot deploys from (resolved to a digest before deploy). */
export function deployTag(input: TagInput): ImageTag {
    return imageTags(input).find((t) => t.deployFrom)!;
}

/** The branch each environment's builds come from, per the promotion flow. */
export const BRANCH_OF: Readonly<Record<Environment, string>> = {
    dev: "develop",
    staging: "main",
    prod: "main",
};

/** The build metadata of one release (docs/RELEASE-PROCESS.md §2: what a release carries). */
export interface BuildMetadata {
    readonly version: string;
    readonly gitSha: string | null;
    /** ISO 8601 time of the build, when the stack config records it. */
    readonly buildDate: string | null;
    readonly buildNumber: string | null;
    readonly branch: string;
    readonly nodeVersion: string | null;
    readonly npmVersion: string | null;
}

/** What the build metadata is made from: a slot's config. */
export interface BuildInput {
    readonly environment: Environment;
    readonly version: string;
    readonly gitSha?: string;
    readonly buildDate?: string;
    readonly buildNumber?: string;
    readonly branch?: string;
    readonly nodeVersion?: string;
    readonly npmVersion?: string;
}

/**
 * The build metadata object. Every field comes from config, so the same
 * config always gives the same metadata (no clock, no environment lookups):
 * an unchanged release never shows a diff.
 */
export function buildMetadata(input: BuildInput): BuildMetadata {
    const v = parseVersion(input.version);
    if (!v) {
        throw new Error(`cannot describe build of ${JSON.stringify(input.version)}: not a semantic version`);
    }
    return {
        version: v.raw,
        gitSha: input.gitSha ?? null,
        buildDate: input.buildDate ?? null,
        buildNumber: input.buildNumber ?? null,
        branch: input.branch ?? BRANCH_OF[input.environment],
        nodeVersion: input.nodeVersion ?? null,
        npmVersion: input.npmVersion ?? null,
    };
}
