/**
 * Which values of a spec are never printed: what the plain-secret warning flags, and what the plan, run reports,
 * loop logs and failure messages show as `(sensitive)`.
 */

/** A variable name that says it holds a secret (`DB_PASSWORD`, `API_KEY`, `GITHUB_TOKEN`). */
const SECRET_LOOKING = /PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIAL|(^|_)KEY($|_)/i;

export const looksSecret = (name: string): boolean => SECRET_LOOKING.test(name);

/** A container's environment value as validated: the text sent, and whether the spec marked it `sensitive: true`. */
export interface EnvironmentValue {
  value: string;
  sensitive: boolean;
}

/** The variables whose values are never printed: those the spec marks, and those whose names look secret. */
export function sensitiveVariables(environment: Readonly<Record<string, EnvironmentValue>>): string[] {
  return Object.entries(environment)
    .filter(([name, entry]) => entry.sensitive || looksSecret(name))
    .map(([name]) => name)
    .sort();
}
