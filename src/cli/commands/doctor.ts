import { Command } from "commander";
import type { DoctorOptions } from "../actions/doctor.js";
import { specFilesOption } from "./options.js";

export function doctorCommand(): Command {
  return new Command("doctor")
    .description("check that AWS answers: credentials, every service the tool uses, and the spec's VPC and subnets")
    .addOption(specFilesOption({ required: false }))
    .option("--region <region>", "AWS region (default: the spec's, else AWS_REGION)")
    .option("--profile <name>", "profile of the shared AWS config files")
    .option("--endpoint <url>", "send every AWS call to this endpoint, such as a local moto server (default: AWS_ENDPOINT_URL, else AWS)")
    .action((options: DoctorOptions) => import("../actions/doctor.js").then((m) => m.runDoctor(options)));
}
