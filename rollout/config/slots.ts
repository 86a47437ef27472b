/** `slotshift:slots`: what each slot (blue, green) runs — its version and the build behind it. */
import { z } from "zod";
import { bool, isoDate, pattern } from "./fields";

const semverText = z.string({ error: "a semantic version, e.g. 1.4.0 or 1.4.0-rc.1" });

const gitSha = pattern(/^[0-9a-f]{7,40}$/, "a git commit sha: 7 to 40 lowercase hex characters", 40);

const digest = pattern(/^sha256:[0-9a-f]{64}$/, "an image digest: sha256: and 64 lowercase hex characters", 71);

const BUILD_NUMBER = "a build number: a whole number, e.g. 123";
const buildNumber = z
    .union([z.int({ error: BUILD_NUMBER }).min(0, { error: BUILD_NUMBER }), z.string({ error: BUILD_NUMBER }).regex(/^[0-9]{1,18}$/, { error: BUILD_NUMBER })], { error: BUILD_NUMBER })
    .transform((n) => String(n));

function slotSchema() {
    return z.strictObject({
        /** The semantic version this slot runs; absent means the slot is empty. */
        version: semverText.optional(),
        gitSha: gitSha.optional(),
        buildNumber: buildNumber.optional(),
        buildDate: isoDate.optional(),
        branch: pattern(/^[A-Za-z0-9._/-]+$/, "a git branch name", 100).optional(),
        nodeVersion: pattern(/^[0-9]+\.[0-9]+\.[0-9]+$/, "a Node.js version, e.g. 20.10.0", 20).optional(),
        npmVersion: pattern(/^[0-9]+\.[0-9]+\.[0-9]+$/, "an npm version, e.g. 10.2.0", 20).optional(),
        /** The image digest to deploy, when it is known ahead (otherwise resolved from the deploy tag). */
        digest: digest.optional(),
        /** Scale this slot to 0 while keeping its resources (blue-green: after the warm hold). */
        decommissioned: bool().default(false),
    });
}

export function slotsSchema() {
    return z.strictObject({ blue: slotSchema().prefault({}), green: slotSchema().prefault({}) }).prefault({});
}
