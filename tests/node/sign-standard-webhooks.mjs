// Signs a payload with the Standard Webhooks reference library (npm standardwebhooks) and prints
// the webhook-signature header's value.
// usage: node sign-standard-webhooks.mjs SECRET MSG_ID UNIX_SECONDS BODY_FILE
import { readFileSync } from "node:fs";
import { Webhook } from "standardwebhooks";

const [secret, id, seconds, bodyFile] = process.argv.slice(2);
const body = readFileSync(bodyFile, "utf8");
process.stdout.write(new Webhook(secret).sign(id, new Date(Number(seconds) * 1000), body));
