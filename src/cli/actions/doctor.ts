import { createClients, probeServices } from "../../aws/index.js";
import { describeFailure } from "../../engine/failure.js";
import { lookupNetwork } from "../../reconcilers/ec2/network-lookup.js";
import { loadSpec, type Spec } from "../../schema/index.js";
import { EXIT } from "../exit-codes.js";
import { reportDiagnostics } from "../report-diagnostics.js";
import { styleFor } from "../style.js";

export interface DoctorOptions {
  file?: string[];
  region?: string;
  profile?: string;
  endpoint?: string;
}

export async function runDoctor(options: DoctorOptions): Promise<void> {
  const out = styleFor(process.stdout);
  let spec: Spec | undefined;
  if (options.file) {
    const result = await loadSpec(options.file);
    reportDiagnostics(result, { errorsOnly: true });
    if (!result.spec) {
      process.exitCode = EXIT.failure;
      return;
    }
    spec = result.spec;
  }
  const region = options.region ?? spec?.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (!region) throw new Error("no region: give --region, a spec with -f, or set AWS_REGION");
  const clients = createClients({ region, profile: options.profile, endpoint: options.endpoint });
  try {
    const endpoint = options.endpoint ?? process.env.AWS_ENDPOINT_URL;
    process.stdout.write(`${out.bold("AWS")} in ${region} at ${endpoint ?? "the standard AWS endpoints"}\n`);
    const probes = await probeServices(clients);
    const width = Math.max(...probes.map((p) => `${p.service} ${p.action}`.length));
    for (const p of probes) {
      const mark = p.ok ? out.green("ok  ") : out.red("FAIL");
      process.stdout.write(`  ${mark} ${`${p.service} ${p.action}`.padEnd(width)}  ${p.detail}\n`);
    }
    let failed = probes.some((p) => !p.ok);
    if (spec) {
      process.stdout.write(`${out.bold("network")} of stack ${spec.stack}\n`);
      try {
        const network = await lookupNetwork(spec.network, clients, { vpcDetails: true });
        process.stdout.write(`  ${out.green("ok  ")} vpc ${network.vpcId}${network.cidrBlock ? ` ${network.cidrBlock}` : ""}\n`);
        for (const s of network.subnets)
          process.stdout.write(`  ${out.green("ok  ")} subnet ${s.id} in ${s.availabilityZone}${s.cidrBlock ? ` ${s.cidrBlock}` : ""}\n`);
      } catch (error) {
        failed = true;
        process.stdout.write(`  ${out.red("FAIL")} ${describeFailure(error)}\n`);
      }
    }
    process.exitCode = failed ? EXIT.failure : EXIT.ok;
  } finally {
    clients.destroy();
  }
}
