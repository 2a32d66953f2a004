import { describe, expect, it } from "vitest";
import { fargateSizeProblem } from "../../src/schema/fargate.js";
import { parseCpu, parseMemory } from "../../src/schema/units.js";

describe("cpu and memory as people write them", () => {
  it.each([
    { input: 512, cpu: 512, why: "units as a number" },
    { input: "512", cpu: 512, why: "units as AWS writes them, a string" },
    { input: "0.5 vCPU", cpu: 512, why: "half a vCPU" },
    { input: "1vcpu", cpu: 1024, why: "no space, any case" },
    { input: "2 vCPUs", cpu: 2048, why: "plural" },
    { input: "0.1 vCPU", cpu: undefined, why: "not a whole number of units" },
    { input: "fast", cpu: undefined, why: "not a number" },
    { input: 0, cpu: undefined, why: "zero" },
  ])("cpu $input -> $cpu ($why)", ({ input, cpu }) => expect(parseCpu(input)).toBe(cpu));

  it.each([
    { input: 1024, mib: 1024, why: "MiB as a number" },
    { input: "1 GB", mib: 1024, why: "GB read as AWS reads it, 1024 MiB" },
    { input: "2GiB", mib: 2048, why: "GiB" },
    { input: "512 MiB", mib: 512, why: "MiB spelt out" },
    { input: "0.5 GB", mib: 512, why: "a fraction of a GB" },
    { input: "1 TB", mib: undefined, why: "an unknown unit" },
    { input: -1, mib: undefined, why: "negative" },
  ])("memory $input -> $mib ($why)", ({ input, mib }) => expect(parseMemory(input)).toBe(mib));
});

describe("Fargate task sizes", () => {
  it.each([
    { cpu: 256, memory: 512, field: undefined, why: "the smallest size" },
    { cpu: 512, memory: 1024, field: undefined, why: "the reference system's size" },
    { cpu: 4096, memory: 30720, field: undefined, why: "the top of a range" },
    { cpu: 8192, memory: 20480, field: undefined, why: "a 4 GB step at 8 vCPU" },
    { cpu: 8192, memory: 17408, field: "memory", why: "1 GB steps are not allowed at 8 vCPU" },
    { cpu: 16384, memory: 122880, field: undefined, why: "the largest size" },
    { cpu: 256, memory: 4096, field: "memory", why: "too much memory for a quarter vCPU" },
    { cpu: 1024, memory: 1024, field: "memory", why: "too little memory for 1 vCPU" },
    { cpu: 384, memory: 1024, field: "cpu", why: "not a Fargate cpu" },
  ])("cpu $cpu, memory $memory ($why)", ({ cpu, memory, field }) => {
    expect(fargateSizeProblem(cpu, memory)?.field).toBe(field);
  });
});
