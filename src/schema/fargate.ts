/**
 * Fargate's task-size table: for each task CPU (units), the memory values (MiB) it accepts.
 * Source: the ECS Developer Guide, "Task CPU and memory" for Fargate (Linux).
 */
const FARGATE_SIZES: ReadonlyMap<number, readonly number[]> = new Map([
  [256, [512, 1024, 2048]],
  [512, range(1024, 4096, 1024)],
  [1024, range(2048, 8192, 1024)],
  [2048, range(4096, 16384, 1024)],
  [4096, range(8192, 30720, 1024)],
  [8192, range(16384, 61440, 4096)],
  [16384, range(32768, 122880, 8192)],
]);

export const FARGATE_CPU_VALUES = [...FARGATE_SIZES.keys()];

/** Which field makes a task size one that Fargate does not run, and why; undefined when it is valid. */
export function fargateSizeProblem(cpu: number, memory: number): { field: "cpu" | "memory"; message: string } | undefined {
  const memories = FARGATE_SIZES.get(cpu);
  if (!memories) {
    return { field: "cpu", message: `task cpu ${cpu} is not a Fargate size: use one of ${FARGATE_CPU_VALUES.join(", ")} units` };
  }
  if (!memories.includes(memory)) {
    return {
      field: "memory",
      message: `task memory ${memory} MiB does not fit cpu ${cpu} on Fargate: with cpu ${cpu} use ${describe(memories)} MiB`,
    };
  }
  return undefined;
}

function describe(values: readonly number[]): string {
  if (values.length <= 3) return values.join(", ");
  const step = values[1]! - values[0]!;
  return `${values[0]}-${values[values.length - 1]} in steps of ${step}`;
}

function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let v = from; v <= to; v += step) out.push(v);
  return out;
}
