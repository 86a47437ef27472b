/**
 * `slotshift:migrations`: database migrations the expand/contract way, each a Kubernetes Job.
 *
 * - `expand`: backward compatible (the older version ignores what it adds). Runs once per build,
 *   with the build's own image, before that build's Deployment changes: a failed expand fails the
 *   update before the candidate gets pods or traffic. It must be idempotent (it also runs for a
 *   build already live when migrations are first declared).
 * - `contract`: breaks what an older version needs. Runs once per declared contract, and only while
 *   no slot that can take traffic (live, candidate, or the warm slot kept for a rollback) runs a
 *   version older than `requires` (rule contract-after-every-slot).
 */
import { z } from "zod";
import { dnsLabel, intIn, pattern } from "./fields";

/** A command as Kubernetes takes it (`command` of a container): the program and its arguments. */
export const commandLine = z
    .array(z.string({ error: "a string" }).min(1, { error: "a non-empty string" }).max(1000, { error: "at most 1000 characters" }), {
        error: "a command as a list of strings, e.g. [node, migrate.js, expand]",
    })
    .min(1, { error: "a command as a list of strings, e.g. [node, migrate.js, expand]" })
    .max(30, { error: "at most 30 strings" });

/** Minutes a Job may run before it fails (its activeDeadlineSeconds, and how long the update waits for it). */
export const jobMinutes = intIn(1, 120, "whole minutes from 1 to 120");

/** A release version, as `requires` names the oldest one a contract lets run. */
const releaseVersion = pattern(/^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$/, "a release version X.Y.Z, e.g. 1.3.0", 40);

export function migrationsSchema() {
    return z
        .strictObject({
            /**
             * The Kubernetes Secret (in the stack's namespace) holding the database URL: the Jobs get it
             * as DATABASE_URL. slotshift does not create it.
             */
            databaseSecret: z.strictObject({
                name: dnsLabel(63),
                key: pattern(/^[-._a-zA-Z0-9]+$/, "a Secret data key: letters, digits, '-', '_' and '.'", 253).default("url"),
            }),
            expand: z
                .strictObject({
                    command: commandLine,
                    timeoutMinutes: jobMinutes.default(10),
                })
                .optional(),
            contract: z
                .strictObject({
                    command: commandLine,
                    /** The oldest version that may still run once the contract has: every slot that can take traffic runs it or later. */
                    requires: releaseVersion,
                    timeoutMinutes: jobMinutes.default(10),
                })
                .optional(),
        })
        .optional();
}
