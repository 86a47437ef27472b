/** `slotshift:app`: the app itself — its name, image, port, probes, replicas and registry. */
import { z } from "zod";
import { bool, dnsLabel, intIn, pattern, urlPath } from "./fields";
import { EnvironmentDefaults } from "./kinds";

/** An image repository without tag or digest: `[host[:port]/]path`. */
const imageRepository = pattern(
    /^(?:[a-zA-Z0-9.-]+(?::[0-9]+)?\/)?[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/,
    "an image repository without tag or digest, e.g. ghcr.io/org/app",
    255,
);

export const appSecrets = [{ path: ["registry", "password"], how: "pulumi config set --secret --path 'slotshift:app.registry.password' <token>" }] as const;

export function appSchema(d: EnvironmentDefaults) {
    return z.strictObject({
        name: dnsLabel(40),
        image: imageRepository,
        port: intIn(1, 65535).default(8080),
        healthPath: urlPath("/api/health").default("/api/health"),
        /**
         * The liveness probe's path, when it should check less than the health path: a liveness probe that
         * checks a shared dependency restarts every pod of both slots when that dependency fails.
         */
        livenessPath: urlPath("/api/live").optional(),
        replicas: intIn(1, 50).default(d.replicas),
        /**
         * A HorizontalPodAutoscaler per slot that runs: between `min` (raised to the slot's own floor,
         * slotshift:capacity) and `max` pods, at `cpuPercent` of the pods' CPU requests. The
         * Deployments then leave their replica count to it.
         */
        autoscale: z
            .strictObject({
                min: intIn(1, 100),
                max: intIn(1, 100),
                cpuPercent: intIn(1, 100, "a whole percentage from 1 to 100"),
            })
            .optional(),
        namespace: dnsLabel(63).optional(),
        /** Dev only: build this folder (relative to the project) and push the deploy tag, instead of looking it up. */
        buildContext: pattern(/^[A-Za-z0-9._/-]+$/, "a folder of the project, e.g. app", 200).optional(),
        /** Credentials of a private registry: the registry lookups and the pods' image pulls use them. */
        registry: z
            .strictObject({
                username: pattern(/^[^\s]+$/, "a registry user name, without spaces", 200),
                password: z.string({ error: "a registry password or token, given as a Pulumi secret" }).min(1, { error: "a registry password or token, given as a Pulumi secret" }),
            })
            .optional(),
        /** Point the moving tags (latest, X.Y, staging, dev) at the live slot's image; needs a Docker engine. */
        publishMovingTags: bool().default(false),
    });
}
