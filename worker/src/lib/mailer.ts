import type { Bindings } from "../env.ts";
import { ApiError } from "../errors.ts";
import type { Logger } from "./logger.ts";

export interface Mail {
  to: string;
  subject: string;
  text: string;
  /** The one link the mail is about (reset, invite); logged in development. */
  link: string;
}

export interface Mailer {
  send(mail: Mail): Promise<void>;
}

// Isolate-lifetime, development and tests only: the last mails "sent", so a test can follow a link
// the way a person would follow it from their inbox. Bounded so a long dev session cannot grow it.
export const devOutbox: Mail[] = [];
const DEV_OUTBOX_LIMIT = 100;

/**
 * The mail's link for the API's answer outside production, so a developer (or a test, or the
 * dashboard running in another process) can follow it without an inbox. Never in production: there
 * the link is a credential only its addressee may hold.
 */
export function devLinkFor(env: Pick<Bindings, "APP_ENV">, link: string): string | undefined {
  return env.APP_ENV === "production" ? undefined : link;
}

/**
 * Development logs the link (and keeps it in `devOutbox`); production posts JSON to MAIL_API_URL.
 * Production without a mail API is refused up front (503), never a silent success.
 */
export function createMailer(env: Bindings, logger: Logger): Mailer {
  if (env.APP_ENV !== "production") {
    return {
      async send(mail) {
        logger.info("mail (development: not sent)", { to: mail.to, subject: mail.subject, link: mail.link });
        devOutbox.push(mail);
        if (devOutbox.length > DEV_OUTBOX_LIMIT) devOutbox.shift();
      },
    };
  }
  const url = env.MAIL_API_URL;
  if (!url || !env.MAIL_FROM) {
    throw new ApiError("mailer_not_configured", "Mail is not configured on this server (MAIL_API_URL, MAIL_FROM)");
  }
  return {
    async send(mail) {
      const response = await fetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(env.MAIL_API_KEY ? { authorization: `Bearer ${env.MAIL_API_KEY}` } : {}),
        },
        body: JSON.stringify({ from: env.MAIL_FROM, to: mail.to, subject: mail.subject, text: mail.text }),
      });
      if (!response.ok) {
        logger.error("mail API refused the message", { status: response.status });
        throw new ApiError("backend_unavailable", "Could not send the mail right now; try again", {
          headers: { "Retry-After": "30" },
        });
      }
    },
  };
}
