import type { AlertEvent } from "@telemetry-tracker/db";

export type WebhookFormat = "generic" | "slack" | "discord" | "teams";

/** The alert as every format sees it; `url` is absolute (dashboard origin + the alert's path). */
export interface AlertMessage {
  id: string;
  kind: AlertEvent["kind"];
  projectId: string;
  projectName: string;
  ruleId: string | null;
  title: string;
  text: string;
  url: string | null;
  data: Record<string, unknown>;
  firedAt: string;
}

const DISCORD_CONTENT_MAX = 2000;
const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
const line = (message: AlertMessage) => `[${message.projectName}] ${message.title}`;

/** The JSON body for a provider; each follows that provider's incoming-webhook format. */
export function formatWebhookBody(format: WebhookFormat, message: AlertMessage): unknown {
  switch (format) {
    case "generic":
      return {
        type: "alert",
        id: message.id,
        kind: message.kind,
        project: { id: message.projectId, name: message.projectName },
        ruleId: message.ruleId,
        title: message.title,
        text: message.text,
        url: message.url,
        data: message.data,
        firedAt: message.firedAt,
      };
    case "slack":
      // Slack incoming webhooks: `text` is the notification fallback, blocks the rendered message.
      return {
        text: line(message),
        blocks: [
          {
            type: "section",
            text: { type: "mrkdwn", text: `*${clip(line(message), 2900)}*\n${clip(message.text, 2900)}` },
          },
          ...(message.url
            ? [
                {
                  type: "actions",
                  elements: [{ type: "button", text: { type: "plain_text", text: "Open" }, url: message.url }],
                },
              ]
            : []),
        ],
      };
    case "discord":
      return {
        content: clip(line(message), DISCORD_CONTENT_MAX),
        embeds: [
          {
            title: clip(message.title, 256),
            description: clip(message.text, 4096),
            ...(message.url ? { url: message.url } : {}),
            timestamp: message.firedAt,
            color: 0xd64545,
          },
        ],
      };
    case "teams":
      // Microsoft Teams (Workflows "post to a channel when a webhook request is received"): an
      // Adaptive Card in a message attachment.
      return {
        type: "message",
        attachments: [
          {
            contentType: "application/vnd.microsoft.card.adaptive",
            contentUrl: null,
            content: {
              $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
              type: "AdaptiveCard",
              version: "1.4",
              body: [
                { type: "TextBlock", text: line(message), weight: "Bolder", size: "Medium", wrap: true },
                { type: "TextBlock", text: message.text, wrap: true },
              ],
              actions: message.url ? [{ type: "Action.OpenUrl", title: "Open", url: message.url }] : [],
            },
          },
        ],
      };
  }
}

/** Subject and text of an alert mail. */
export function formatEmail(message: AlertMessage): { subject: string; text: string } {
  return {
    subject: clip(line(message), 200),
    text: [
      message.title,
      "",
      message.text,
      "",
      message.url ? `Open: ${message.url}` : "",
      `Fired at ${message.firedAt}`,
    ]
      .filter((part, index, all) => part !== "" || all[index - 1] !== "")
      .join("\n"),
  };
}
