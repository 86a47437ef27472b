/** `slotshift:rollback`: the relay that turns a fired rollback trigger into a GitHub repository_dispatch. */
import { z } from "zod";
import { pattern } from "./fields";

/** A GitHub repository: `owner/name`, as GitHub allows them. */
const githubRepository = pattern(
    /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}\/(?!\.\.?$)[A-Za-z0-9._-]{1,100}$/,
    "a GitHub repository as owner/name, e.g. nextgen-market/slotshift",
    140,
);

const GITHUB_TOKEN = "a GitHub token that may send repository_dispatch to the repository (a fine-grained token with Contents: read and write), given as a Pulumi secret";

/**
 * The token is a secret, and so is anything given in its parent's place: `slotshift:rollback`
 * given as a string may be the token itself.
 */
export const rollbackSecrets = [{ path: ["token"], how: "pulumi config set --secret --path 'slotshift:rollback.token' <token>", parentIsSecret: true }] as const;

export function rollbackSchema() {
    return z
        .strictObject({
            repository: githubRepository,
            token: z.string({ error: GITHUB_TOKEN }).regex(/^[A-Za-z0-9_]{20,255}$/, { error: GITHUB_TOKEN }),
        })
        .optional();
}
