/**
 * The field builders every key family uses. Each carries its "allowed" text as the zod error, so
 * every refusal can say what would have been accepted. Pure.
 */
import { z } from "zod";

export const intIn = (min: number, max: number, what = `an integer from ${min} to ${max}`) =>
    z.int({ error: what }).min(min, { error: what }).max(max, { error: what });

export const numberIn = (min: number, max: number, what: string) =>
    z.number({ error: what }).min(min, { error: what }).max(max, { error: what });

export const oneOf = <T extends readonly [string, ...string[]]>(values: T) =>
    z.enum(values, { error: `one of ${values.join(", ")}` });

export const bool = () => z.boolean({ error: "true or false" });

export const pattern = (re: RegExp, what: string, maxLength: number) =>
    z
        .string({ error: what })
        .min(1, { error: what })
        .max(maxLength, { error: `${what}, at most ${maxLength} characters` })
        .regex(re, { error: what });

/** A DNS-1123 label: what Kubernetes names and Azure DNS prefixes both accept. */
export const dnsLabel = (maxLength: number) =>
    pattern(
        /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/,
        `a DNS label: lowercase letters, digits and '-', starting and ending with a letter or digit, at most ${maxLength} characters`,
        maxLength,
    );

/** An absolute URL path, e.g. a probe's. */
export const urlPath = (example: string) => pattern(/^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/, `an absolute URL path, e.g. ${example}`, 200);

export const isoDate = z.iso.datetime({ error: "an ISO 8601 UTC time, e.g. 2025-11-19T10:30:00Z" });

/** An Azure subscription ID: a GUID. */
export const subscriptionId = pattern(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, "an Azure subscription ID (a GUID)", 36);

/** An Azure resource group name. */
export const resourceGroupName = pattern(/^[-\w._()]{1,90}$/, "an Azure resource group name: letters, digits, '-', '_', '.', '(' and ')', at most 90", 90);

/** An Azure resource name as most services take it. */
export const azureName = pattern(/^[A-Za-z0-9][A-Za-z0-9-]{1,61}[A-Za-z0-9]$/, "an Azure resource name: 3 to 63 letters, digits and '-'", 63);
