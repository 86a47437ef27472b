/**
 * The whole `slotshift:*` schema of one environment and stack: each key family's schema, then the
 * checks that span families (config/checks.ts). Built once per environment and stack.
 */
import { z } from "zod";
import { ENVIRONMENTS, Environment } from "../versions";
import { alertsSchema } from "./alerts";
import { analysisSchema } from "./analysis";
import { appSchema } from "./app";
import { capacitySchema } from "./capacity";
import { CROSS_CHECKS } from "./checks";
import { clusterSchema } from "./cluster";
import { oneOf } from "./fields";
import { hooksSchema } from "./hooks";
import { ENVIRONMENT_DEFAULTS } from "./kinds";
import { migrationsSchema } from "./migrations";
import { notificationsSchema } from "./notifications";
import { promotionSchema } from "./promotion";
import { rollbackSchema } from "./rollback";
import { rolloutSchema } from "./rollout";
import { slotsSchema } from "./slots";
import { trafficSchema } from "./traffic";

/** The families, each a top-level key: the object every check reads. */
function familiesOf(env: Environment) {
    const d = ENVIRONMENT_DEFAULTS[env];
    return z.strictObject({
        environment: oneOf(ENVIRONMENTS),
        cluster: clusterSchema(),
        app: appSchema(d),
        slots: slotsSchema(),
        rollout: rolloutSchema(d),
        promotion: promotionSchema(d),
        traffic: trafficSchema(),
        alerts: alertsSchema(),
        analysis: analysisSchema(),
        rollback: rollbackSchema(),
        migrations: migrationsSchema(),
        hooks: hooksSchema(),
        capacity: capacitySchema(),
        notifications: notificationsSchema(),
    });
}

/** A config as its families parse it, before the checks that span them. */
export type FamiliesConfig = z.output<ReturnType<typeof familiesOf>>;

/** The schema of an environment and stack: the families, then every cross-family check. */
export function schemaFor(env: Environment, stack: string) {
    return familiesOf(env).superRefine((c, ctx) => {
        for (const check of CROSS_CHECKS) {
            for (const issue of check.check(c, env, stack)) {
                ctx.addIssue({ code: "custom", path: [...issue.path], message: issue.message });
            }
        }
    });
}

/** The known top-level keys, in the schema's order. */
export const FAMILY_KEYS = Object.keys(familiesOf("dev").shape) as readonly (keyof FamiliesConfig)[];
