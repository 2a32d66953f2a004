import { z } from "zod";

/**
 * CPU as ECS counts it (1024 units = 1 vCPU): a number of units, a numeric string (`"512"`, which is how
 * AWS itself writes task cpu) or vCPUs (`0.5 vCPU`).
 */
export const cpuUnits = z
  .union([z.number(), z.string()])
  .transform((value, ctx) => {
    const units = parseCpu(value);
    if (units === undefined) {
      ctx.addIssue({ code: "custom", message: `cannot read CPU ${JSON.stringify(value)}: write units (512) or vCPUs ("0.5 vCPU")` });
      return z.NEVER;
    }
    return units;
  })
  .describe("CPU units (1024 = 1 vCPU), or a string such as `0.5 vCPU`");

/** Memory in MiB: a number of MiB, a numeric string, or `512 MiB`, `1 GB`, `2 GiB` (AWS reads GB as 1024 MiB). */
export const memoryMiB = z
  .union([z.number(), z.string()])
  .transform((value, ctx) => {
    const mib = parseMemory(value);
    if (mib === undefined) {
      ctx.addIssue({
        code: "custom",
        message: `cannot read memory ${JSON.stringify(value)}: write MiB (1024) or a size ("1 GB", "512 MiB")`,
      });
      return z.NEVER;
    }
    return mib;
  })
  .describe("Memory in MiB, or a string such as `1 GB` or `512 MiB`");

export function parseCpu(value: number | string): number | undefined {
  if (typeof value === "number") return wholePositive(value);
  const match = /^\s*(\d+(?:\.\d+)?)\s*(vcpus?)?\s*$/i.exec(value);
  if (!match) return undefined;
  const amount = Number(match[1]);
  return wholePositive(match[2] ? amount * 1024 : amount);
}

export function parseMemory(value: number | string): number | undefined {
  if (typeof value === "number") return wholePositive(value);
  const match = /^\s*(\d+(?:\.\d+)?)\s*(mib|mb|gib|gb)?\s*$/i.exec(value);
  if (!match) return undefined;
  const amount = Number(match[1]);
  const unit = (match[2] ?? "mib").toLowerCase();
  return wholePositive(unit.startsWith("g") ? amount * 1024 : amount);
}

function wholePositive(n: number): number | undefined {
  return Number.isInteger(n) && n > 0 ? n : undefined;
}
