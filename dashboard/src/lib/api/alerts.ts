import { action, query } from "@solidjs/router";
import { mutate, read, worker } from "../server/worker";
import type { components } from "./schema";

export type NewAlertDestination = components["schemas"]["NewAlertDestination"];
export type AlertDestinationPatch = components["schemas"]["AlertDestinationPatch"];

/** Alerts: rules (built-in and custom), destinations with send-test, fired alerts and the delivery log. */

export const getAlertRules = query(async (projectId: string) => {
  "use server";
  return await read(worker().GET("/api/projects/{projectId}/alerts/rules", { params: { path: { projectId } } }));
}, "alert-rules");

export const getAlertDestinations = query(async (projectId: string) => {
  "use server";
  return await read(worker().GET("/api/projects/{projectId}/alerts/destinations", { params: { path: { projectId } } }));
}, "alert-destinations");

export const getAlertEvents = query(async (projectId: string) => {
  "use server";
  return await read(
    worker().GET("/api/projects/{projectId}/alerts/events", { params: { path: { projectId }, query: { limit: 20 } } }),
  );
}, "alert-events");

export const getAlertDeliveries = query(async (projectId: string) => {
  "use server";
  return await read(
    worker().GET("/api/projects/{projectId}/alerts/deliveries", {
      params: { path: { projectId }, query: { limit: 20 } },
    }),
  );
}, "alert-deliveries");

export const setAlertRuleEnabled = action(async (projectId: string, ruleId: string, enabled: boolean) => {
  "use server";
  return await mutate(
    worker().PATCH("/api/projects/{projectId}/alerts/rules/{ruleId}", {
      params: { path: { projectId, ruleId } },
      body: { enabled },
    }),
  );
}, "set-alert-rule-enabled");

export interface CustomRuleInput {
  name: string;
  target: "errors" | "events";
  conditions: Partial<
    Record<"eventName" | "errorType" | "messageContains" | "level" | "app" | "environment" | "release", string>
  >;
  count?: { threshold: number; windowMinutes: number };
  cooldownMinutes: number;
}

export const createAlertRule = action(async (projectId: string, input: CustomRuleInput) => {
  "use server";
  const conditions = Object.fromEntries(Object.entries(input.conditions).filter(([, value]) => value));
  return await mutate(
    worker().POST("/api/projects/{projectId}/alerts/rules", {
      params: { path: { projectId } },
      body: {
        name: input.name,
        enabled: true,
        destinationIds: null,
        params: {
          target: input.target,
          conditions: conditions as never,
          ...(input.count ? { count: input.count } : {}),
        },
        cooldownSeconds: Math.round(input.cooldownMinutes * 60),
      },
    }),
  );
}, "create-alert-rule");

export const deleteAlertRule = action(async (projectId: string, ruleId: string) => {
  "use server";
  return await mutate(
    worker().DELETE("/api/projects/{projectId}/alerts/rules/{ruleId}", { params: { path: { projectId, ruleId } } }),
  );
}, "delete-alert-rule");

/** A webhook or an email destination; a webhook's signing secret is in this answer only. */
export const createAlertDestination = action(async (projectId: string, body: NewAlertDestination) => {
  "use server";
  return await mutate(
    worker().POST("/api/projects/{projectId}/alerts/destinations", { params: { path: { projectId } }, body }),
  );
}, "create-alert-destination");

/** Rename, retarget (URL and format, or recipients), enable or disable a destination. */
export const updateAlertDestination = action(
  async (projectId: string, destinationId: string, patch: AlertDestinationPatch) => {
    "use server";
    return await mutate(
      worker().PATCH("/api/projects/{projectId}/alerts/destinations/{destinationId}", {
        params: { path: { projectId, destinationId } },
        body: patch,
      }),
    );
  },
  "update-alert-destination",
);

export const deleteAlertDestination = action(async (projectId: string, destinationId: string) => {
  "use server";
  return await mutate(
    worker().DELETE("/api/projects/{projectId}/alerts/destinations/{destinationId}", {
      params: { path: { projectId, destinationId } },
    }),
  );
}, "delete-alert-destination");

export const sendAlertTest = action(async (projectId: string, destinationId: string) => {
  "use server";
  return await mutate(
    worker().POST("/api/projects/{projectId}/alerts/destinations/{destinationId}/test", {
      params: { path: { projectId, destinationId } },
    }),
  );
}, "send-alert-test");
