/**
 * Spec files made to exhaust or confuse a YAML loader, each with where and how `validate` refuses it: the
 * issue's list (an alias bomb, 300,000 keys, a self-referencing merge key, deep nesting, two documents, a
 * NUL byte, UTF-16) and their next of kin.
 */
export interface HostileSpec {
  name: string;
  why: string;
  content: string | Uint8Array;
  code: string;
  line: number;
  message: RegExp;
}

const utf16 = (text: string, endian: "le" | "be"): Uint8Array => {
  const le = Buffer.from(text, "utf16le");
  if (endian === "be") le.swap16();
  return Buffer.concat([Buffer.from(endian === "le" ? [0xff, 0xfe] : [0xfe, 0xff]), le]);
};

const billionLaughs = [
  "stack: demo",
  'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
  ...["b", "c", "d", "e", "f", "g", "h", "i"].map((name, i) => {
    const previous = "abcdefgh"[i]!;
    return `${name}: &${name} [${Array.from({ length: 9 }, () => `*${previous}`).join(",")}]`;
  }),
].join("\n");

export const HOSTILE_SPECS: HostileSpec[] = [
  {
    name: "billion-laughs.yaml",
    why: "an alias bomb (billion laughs, 10 lines)",
    content: billionLaughs + "\n",
    code: "too-many-values",
    line: 6,
    message: /alias \*d expands this file to more than 50,000 values/,
  },
  {
    name: "300k-keys.yaml",
    why: "300,000 keys",
    content: "stack: demo\ntags:\n" + Array.from({ length: 300_000 }, (_, i) => `  k${i}: v\n`).join(""),
    code: "too-many-values",
    line: 50_001,
    message: /more than 50,000 values/,
  },
  {
    name: "self-merge.yaml",
    why: "a merge key that refers to its own anchor",
    content: "stack: demo\nbase: &base\n  region: us-east-1\n  <<: *base\n",
    code: "alias-cycle",
    line: 4,
    message: /merge key `<<: \*base` merges a map into itself \(a cycle\)/,
  },
  {
    name: "self-alias.yaml",
    why: "an alias inside the list it names",
    content: "stack: demo\nx: &x [1, *x]\n",
    code: "alias-cycle",
    line: 2,
    message: /alias \*x is inside the node it names/,
  },
  {
    name: "deep-flow.yaml",
    why: "100,000 nested flow lists",
    content: `stack: demo\nx: ${"[".repeat(100_000)}${"]".repeat(100_000)}\n`,
    code: "too-deep",
    line: 2,
    message: /nested more than 64 levels deep/,
  },
  {
    name: "deep-block.yaml",
    why: "100 nested block maps",
    content: "stack: demo\n" + Array.from({ length: 100 }, (_, i) => `${" ".repeat(i)}a:\n`).join(""),
    code: "too-deep",
    // Line 67 holds the 65th map down.
    line: 67,
    message: /nested more than 64 levels deep/,
  },
  {
    name: "two-docs.yaml",
    why: "two documents in one file",
    content: "stack: demo\nregion: us-east-1\n---\nstack: other\n",
    code: "multiple-documents",
    line: 3,
    message: /a second YAML document starts here/,
  },
  {
    name: "nul.yaml",
    why: "a NUL byte",
    content: Buffer.from("stack: demo\nregion: us-\0east-1\n"),
    code: "control-character",
    line: 2,
    message: /NUL byte/,
  },
  {
    name: "utf16le.yaml",
    why: "UTF-16 LE with its byte-order mark",
    content: utf16("stack: demo\n", "le"),
    code: "not-utf8",
    line: 1,
    message: /encoded as UTF-16 LE .*save it as UTF-8/,
  },
  {
    name: "utf16be.yaml",
    why: "UTF-16 BE with its byte-order mark",
    content: utf16("stack: demo\n", "be"),
    code: "not-utf8",
    line: 1,
    message: /encoded as UTF-16 BE/,
  },
  {
    name: "utf16-no-bom.yaml",
    why: "UTF-16 without a byte-order mark",
    content: Buffer.from("stack: demo\n", "utf16le"),
    code: "control-character",
    line: 1,
    message: /NUL byte .*UTF-16/,
  },
  {
    name: "utf32le.yaml",
    why: "UTF-32 LE with its byte-order mark",
    content: Buffer.from([0xff, 0xfe, 0, 0, 0x73, 0, 0, 0]),
    code: "not-utf8",
    line: 1,
    message: /encoded as UTF-32 LE/,
  },
  {
    name: "latin1.yaml",
    why: "an invalid UTF-8 sequence (Latin-1 text)",
    content: Buffer.from("stack: demo\ndescription: caf\xe9\n", "latin1"),
    code: "not-utf8",
    line: 2,
    message: /not valid UTF-8/,
  },
  {
    name: "too-large.yaml",
    why: "a file over 5 MB",
    content: Buffer.from(`stack: demo\n# ${"x".repeat(5 * 1024 * 1024)}\n`),
    code: "file-too-large",
    line: 1,
    message: /more than 5 MB, over the limit of 5 MB .*--max-file-size/,
  },
];
