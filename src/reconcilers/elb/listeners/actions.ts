/**
 * Listener actions and rule conditions in one canonical form, whether they come from the spec or from AWS, so
 * that comparing the two is plain equality. Pure: nothing here talks to AWS.
 *
 * AWS answers with more than it was sent: a plain forward comes back as TargetGroupArn AND a ForwardConfig of
 * that one group (Weight 1, stickiness disabled); a redirect comes back with every component it was not given
 * filled with its keyword (`#{protocol}`, `#{port}`, `#{host}`, `/#{path}`, `#{query}`); a condition comes back
 * with its values both in `Values` and in its `…Config.Values`. The canonical form absorbs all of that.
 */
import type { Action, RuleCondition } from "@aws-sdk/client-elastic-load-balancing-v2";
import { KnownAfterApply } from "../../../plan/model.js";
import { sortedSet } from "../../diff-helpers.js";
import type { ListenerActionSpec, ListenerSpec } from "../../../schema/load-balancing.js";

/** A target group's ARN, or UNKNOWN while the group is still to be created (or replaced). */
export type TargetGroupArn = string | KnownAfterApply;

export interface WeightedTargetGroup {
  arn: TargetGroupArn;
  weight: number;
}

export type CanonicalAction =
  | {
      type: "forward";
      /** Sorted by ARN (unknown ones last, in the spec's order). */
      targetGroups: WeightedTargetGroup[];
      /** Target group stickiness: set only when enabled. */
      stickinessSeconds?: number;
    }
  | { type: "redirect"; protocol: string; port: string; host: string; path: string; query: string; statusCode: string }
  | { type: "fixedResponse"; statusCode: string; contentType?: string; messageBody?: string }
  /** What the spec cannot say (authentication, several actions): always a difference from what it wants. */
  | { type: "other"; actions: string[] };

export interface HttpHeaderCondition {
  name: string;
  values: string[];
}

/** Sets, sorted; a field without values is left out. */
export interface CanonicalConditions {
  pathPatterns?: string[];
  hostHeaders?: string[];
  httpHeaders?: HttpHeaderCondition[];
  /** Conditions the spec cannot say (source-ip, query-string, http-request-method), by field. */
  others?: string[];
}

export type ListenerRuleSpec = ListenerSpec["rules"][string];

/** AWS fills each component of a redirect that is not given with the keyword that keeps it as requested. */
const REDIRECT_DEFAULTS = { protocol: "#{protocol}", port: "#{port}", host: "#{host}", path: "/#{path}", query: "#{query}" };

function byArn(a: WeightedTargetGroup, b: WeightedTargetGroup): number {
  if (typeof a.arn !== "string" || typeof b.arn !== "string") return typeof a.arn === "string" ? -1 : typeof b.arn === "string" ? 1 : 0;
  return a.arn < b.arn ? -1 : a.arn > b.arn ? 1 : a.weight - b.weight;
}

function forward(targetGroups: WeightedTargetGroup[], stickinessSeconds: number | undefined): CanonicalAction {
  return { type: "forward", targetGroups: [...targetGroups].sort(byArn), ...(stickinessSeconds !== undefined && { stickinessSeconds }) };
}

function fixedResponse(statusCode: string, contentType: string | undefined, messageBody: string | undefined): CanonicalAction {
  // An empty body is no body: AWS accepts MessageBody="" and answers with or without it.
  return { type: "fixedResponse", statusCode, ...(contentType && { contentType }), ...(messageBody && { messageBody }) };
}

// ---------------------------------------------------------------------------------------------------------
// From the spec.

export function actionFromSpec(action: ListenerActionSpec, arnOf: (targetGroup: string) => TargetGroupArn): CanonicalAction {
  if (action.forward !== undefined) {
    const f = action.forward;
    if (typeof f === "string") return forward([{ arn: arnOf(f), weight: 1 }], undefined);
    return forward(
      f.targetGroups.map((t) => ({ arn: arnOf(t.targetGroup), weight: t.weight })),
      f.stickinessSeconds,
    );
  }
  if (action.redirect !== undefined) {
    const r = action.redirect;
    return {
      type: "redirect",
      protocol: r.protocol ?? REDIRECT_DEFAULTS.protocol,
      port: r.port === undefined ? REDIRECT_DEFAULTS.port : String(r.port),
      host: r.host ?? REDIRECT_DEFAULTS.host,
      path: r.path ?? REDIRECT_DEFAULTS.path,
      query: r.query ?? REDIRECT_DEFAULTS.query,
      statusCode: r.statusCode,
    };
  }
  if (action.fixedResponse !== undefined) {
    const r = action.fixedResponse;
    return fixedResponse(r.statusCode, r.contentType, r.messageBody);
  }
  throw new Error("a listener action without forward, redirect or fixedResponse (the schema requires exactly one)");
}

export function conditionsFromSpec(conditions: ListenerRuleSpec["conditions"]): CanonicalConditions {
  return canonicalConditions(
    conditions.pathPatterns ?? [],
    conditions.hostHeaders ?? [],
    (conditions.httpHeaders ?? []).map((h) => ({ name: h.name, values: h.values })),
    [],
  );
}

function canonicalConditions(
  pathPatterns: readonly string[],
  hostHeaders: readonly string[],
  httpHeaders: readonly HttpHeaderCondition[],
  others: readonly string[],
): CanonicalConditions {
  const headers = httpHeaders
    .map((h) => ({ name: h.name, values: sortedSet(h.values) }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : JSON.stringify(a.values) < JSON.stringify(b.values) ? -1 : 1));
  return {
    ...(pathPatterns.length > 0 && { pathPatterns: sortedSet(pathPatterns) }),
    ...(hostHeaders.length > 0 && { hostHeaders: sortedSet(hostHeaders) }),
    ...(headers.length > 0 && { httpHeaders: headers }),
    ...(others.length > 0 && { others: sortedSet(others) }),
  };
}

// ---------------------------------------------------------------------------------------------------------
// From AWS.

function forwardFromAws(action: Action): CanonicalAction {
  const config = action.ForwardConfig;
  // Listed in ForwardConfig when AWS has one (every answer since weighted target groups): it holds the weights.
  const groups =
    config?.TargetGroups && config.TargetGroups.length > 0
      ? config.TargetGroups.map((t) => ({ arn: t.TargetGroupArn ?? "", weight: t.Weight ?? 1 }))
      : [{ arn: action.TargetGroupArn ?? "", weight: 1 }];
  const stickiness = config?.TargetGroupStickinessConfig;
  return forward(groups, stickiness?.Enabled ? stickiness.DurationSeconds : undefined);
}

/** A listener's default actions or a rule's actions; undefined when there are none. */
export function actionFromAws(actions: readonly Action[] = []): CanonicalAction | undefined {
  if (actions.length > 1) {
    const ordered = [...actions].sort((a, b) => (a.Order ?? 0) - (b.Order ?? 0));
    return { type: "other", actions: ordered.map((a) => a.Type ?? "?") };
  }
  const [action] = actions;
  if (!action) return undefined;
  switch (action.Type) {
    case "forward":
      return forwardFromAws(action);
    case "redirect": {
      const r = action.RedirectConfig ?? { StatusCode: undefined };
      return {
        type: "redirect",
        protocol: r.Protocol ?? REDIRECT_DEFAULTS.protocol,
        port: r.Port ?? REDIRECT_DEFAULTS.port,
        host: r.Host ?? REDIRECT_DEFAULTS.host,
        path: r.Path ?? REDIRECT_DEFAULTS.path,
        query: r.Query ?? REDIRECT_DEFAULTS.query,
        statusCode: r.StatusCode ?? "",
      };
    }
    case "fixed-response": {
      const r = action.FixedResponseConfig;
      return fixedResponse(r?.StatusCode ?? "", r?.ContentType, r?.MessageBody);
    }
    default:
      return { type: "other", actions: [action.Type ?? "?"] };
  }
}

/** A condition's values, from its `…Config` or from the older `Values` (AWS answers with both). */
const valuesOf = (condition: RuleCondition, config: { Values?: string[] | undefined } | undefined) =>
  config?.Values ?? condition.Values ?? [];

export function conditionsFromAws(conditions: readonly RuleCondition[] | undefined): CanonicalConditions {
  const pathPatterns: string[] = [];
  const hostHeaders: string[] = [];
  const httpHeaders: HttpHeaderCondition[] = [];
  const others: string[] = [];
  for (const c of conditions ?? []) {
    if (c.Field === "path-pattern") pathPatterns.push(...valuesOf(c, c.PathPatternConfig));
    else if (c.Field === "host-header") hostHeaders.push(...valuesOf(c, c.HostHeaderConfig));
    else if (c.Field === "http-header") {
      httpHeaders.push({ name: c.HttpHeaderConfig?.HttpHeaderName ?? "", values: c.HttpHeaderConfig?.Values ?? [] });
    } else others.push(c.Field ?? "?");
  }
  return canonicalConditions(pathPatterns, hostHeaders, httpHeaders, others);
}

// ---------------------------------------------------------------------------------------------------------
// To AWS.

const knownArn = (arn: TargetGroupArn): string => {
  if (arn instanceof KnownAfterApply) throw new Error("a target group ARN is not known yet: its target group has not been created");
  return arn;
};

/** The actions to send: a plain forward to one group as TargetGroupArn alone, as AWS documents it. */
export function actionToAws(action: CanonicalAction): Action[] {
  switch (action.type) {
    case "forward": {
      const [only] = action.targetGroups;
      if (only && action.targetGroups.length === 1 && only.weight === 1 && action.stickinessSeconds === undefined) {
        return [{ Type: "forward", TargetGroupArn: knownArn(only.arn) }];
      }
      return [
        {
          Type: "forward",
          ForwardConfig: {
            TargetGroups: action.targetGroups.map((t) => ({ TargetGroupArn: knownArn(t.arn), Weight: t.weight })),
            TargetGroupStickinessConfig:
              action.stickinessSeconds === undefined ? { Enabled: false } : { Enabled: true, DurationSeconds: action.stickinessSeconds },
          },
        },
      ];
    }
    case "redirect":
      return [
        {
          Type: "redirect",
          RedirectConfig: {
            Protocol: action.protocol,
            Port: action.port,
            Host: action.host,
            Path: action.path,
            Query: action.query,
            StatusCode: action.statusCode as "HTTP_301" | "HTTP_302",
          },
        },
      ];
    case "fixedResponse":
      return [
        {
          Type: "fixed-response",
          FixedResponseConfig: {
            StatusCode: action.statusCode,
            ...(action.contentType !== undefined && { ContentType: action.contentType }),
            ...(action.messageBody !== undefined && { MessageBody: action.messageBody }),
          },
        },
      ];
    case "other":
      throw new Error(`cannot send an action the spec cannot express (${action.actions.join(", ")})`);
  }
}

/** In the `…Config` form: the older `Values` form allows one value per condition. */
export function conditionsToAws(conditions: CanonicalConditions): RuleCondition[] {
  return [
    ...(conditions.pathPatterns ? [{ Field: "path-pattern", PathPatternConfig: { Values: conditions.pathPatterns } }] : []),
    ...(conditions.hostHeaders ? [{ Field: "host-header", HostHeaderConfig: { Values: conditions.hostHeaders } }] : []),
    ...(conditions.httpHeaders ?? []).map((h) => ({
      Field: "http-header",
      HttpHeaderConfig: { HttpHeaderName: h.name, Values: h.values },
    })),
  ];
}
