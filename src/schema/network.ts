import { z } from "zod";
import { byIdOrTags } from "./common.js";

export const vpcSelector = z
  .union([z.literal("default"), byIdOrTags(/^vpc-[0-9a-f]+$/, "a VPC")])
  .describe("The VPC: `default` (the account's default VPC in the region), `{ id: vpc-… }` or `{ tags: { Name: … } }`");

export const subnetSelector = z
  .union([
    z.strictObject({
      availabilityZones: z
        .array(z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d[a-z]$/, "expected an availability zone such as us-east-1a"))
        .min(1)
        .describe("The VPC's default subnet in each of these availability zones"),
    }),
    z.strictObject({
      ids: z
        .array(z.string().regex(/^subnet-[0-9a-f]+$/, "expected a subnet id"))
        .min(1)
        .describe("These subnets, by id (subnet-…), in the spec's VPC"),
    }),
    z.strictObject({
      tags: z
        .record(z.string(), z.string())
        .refine((t) => Object.keys(t).length > 0, "give at least one tag")
        .describe("Every subnet of the spec's VPC carrying all of these tags (key: value)"),
    }),
  ])
  .describe("Subnets: `{ availabilityZones: [...] }`, `{ ids: [...] }` or `{ tags: {...} }`");

export const network = z
  .strictObject({
    vpc: vpcSelector,
    subnets: subnetSelector,
  })
  .describe("Where everything runs: looked up, never created");

export type VpcSelector = z.infer<typeof vpcSelector>;
export type SubnetSelector = z.infer<typeof subnetSelector>;
export type NetworkSpec = z.infer<typeof network>;
