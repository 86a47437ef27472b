/**
 * `slotshift:hooks`: test Jobs that gate the traffic. Each runs in the cluster against the
 * candidate's own Service (TARGET_URL), with the candidate's image or one given:
 *
 * - `preTraffic`: before the candidate's first step above 0 % (smoke and integration tests); again
 *   whenever its weight leaves 0 (after a rollback, a retry);
 * - `perStep`: before each step's routing change (a functional check at 5, 25, 50, 100 %).
 *
 * The step's routing waits for the hook's Job to succeed; a failed hook fails the update with the
 * routing unchanged. A rollback never waits for a hook.
 */
import { z } from "zod";
import { pattern } from "./fields";
import { commandLine, jobMinutes } from "./migrations";

/** An image reference with a tag or a digest: what a hook runs when it is not the candidate's image. */
const imageReference = pattern(
    /^(?:[a-zA-Z0-9.-]+(?::[0-9]+)?\/)?[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[a-f0-9]{64})$/,
    "an image reference with a tag or a digest, e.g. ghcr.io/org/tests:1.4.0 or ghcr.io/org/tests@sha256:...",
    400,
);

const hook = () =>
    z
        .strictObject({
            command: commandLine,
            /** The image to run; the candidate's own image when absent. */
            image: imageReference.optional(),
            timeoutMinutes: jobMinutes.default(10),
        })
        .optional();

export function hooksSchema() {
    return z
        .strictObject({
            preTraffic: hook(),
            perStep: hook(),
        })
        .optional();
}
