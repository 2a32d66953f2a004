import { describe, expect, it } from "vitest";
import { annotateAwsError, describeAwsError } from "../../src/aws/errors.js";

/** Node's error for a TLS handshake that got something else, as the SDK passes it on (`code`, `message`). */
const tlsError = (message: string, code = "EPROTO") => Object.assign(new Error(message), { code, errno: -71, syscall: "write" });

describe("the hint for an https:// endpoint that answers plain HTTP", () => {
  it.each([
    [
      "OpenSSL 3 (Node 20)",
      "write EPROTO 80BCC8C9A47F0000:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../deps/openssl/openssl/ssl/record/ssl3_record.c:350:\n",
      "wrong version number",
    ],
    [
      "OpenSSL 1.1",
      "write EPROTO 140735:error:1408F10B:SSL routines:ssl3_get_record:wrong version number:../deps/openssl/openssl/ssl/record/ssl3_record.c:332:",
      "wrong version number",
    ],
    [
      "other first bytes",
      "write EPROTO 140735:error:1408F10B:SSL routines:ssl3_get_record:packet length too long",
      "packet length too long",
    ],
  ])("%s", (_, message, reason) => {
    const error = tlsError(message);
    expect(describeAwsError(error).message).toBe(
      `TLS handshake failed (${reason}): the endpoint answers plain HTTP, not TLS: write it with http:// (--endpoint or AWS_ENDPOINT_URL)`,
    );
    annotateAwsError(error, { service: "ec2", action: "DescribeVpcs", errorClass: "terminal" });
    expect(error.message).toMatch(/^TLS handshake failed .*write it with http:\/\//);
  });

  it.each([
    ["another TLS failure (a certificate)", tlsError("unable to verify the first certificate", "UNABLE_TO_VERIFY_LEAF_SIGNATURE")],
    ["another EPROTO", tlsError("write EPROTO 1:error:sslv3 alert handshake failure")],
  ])("not for %s", (_, error) => {
    const before = error.message;
    expect(describeAwsError(error).message).toBe(before.replace(/\s+/g, " ").trim());
    annotateAwsError(error, { service: "ec2", action: "DescribeVpcs", errorClass: "terminal" });
    expect(error.message).toBe(before);
  });
});
