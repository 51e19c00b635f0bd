import { parseJobFields, type JobFields } from '../job-fields.js';

/** Refuses (400 `invalid_webhook_url`) a webhook URL that may not be called. */
export type WebhookUrlCheck = (url: string) => Promise<void>;

/**
 * A submission's options (form fields, a JSON body or a query string, and the `Cancel-After` header), checked:
 * the same for a job, a batch and a batch of URLs.
 */
export async function jobOptions(validateWebhookUrl: WebhookUrlCheck, raw: unknown, cancelAfter: string | undefined): Promise<JobFields> {
  const fields = parseJobFields(raw, cancelAfter);
  if (fields.webhookUrl) await validateWebhookUrl(fields.webhookUrl);
  return fields;
}
