/** `slotshift:promotion`: the stack whose live version this one takes (prod from staging). */
import { z } from "zod";
import { pattern } from "./fields";
import { EnvironmentDefaults } from "./kinds";

export function promotionSchema(d: EnvironmentDefaults) {
    return z
        .strictObject({
            from: pattern(/^([A-Za-z0-9_.-]+\/){0,2}[A-Za-z0-9_.-]+$/, "a stack name, or organization/project/stack", 200).optional(),
        })
        .prefault({})
        .transform((p) => ({ from: p.from ?? d.promotionFrom }));
}
