/**
 * Both examples, end to end, each under its own stack and names, one after the other in this one file.
 *
 * They cannot run side by side on moto: moto (5.2) refuses a second private DNS namespace in a VPC that already
 * has one, whatever its name (ConflictingDomainExists; AWS refuses only the same name in the same VPC), and both
 * examples put their namespace in the default VPC. Vitest runs the files of a suite in parallel but the
 * describes of one file in order, so each example is applied and deleted before the next begins.
 */
import "./examples/microblog.js";
import "./examples/microblog-shared-db.js";
