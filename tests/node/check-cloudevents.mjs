// Reads the events kcat consumed from Kafka (-J: one JSON envelope a line, headers as a flat
// [name, value, ...] list) and parses each with the CloudEvents SDK's Kafka binding, as any
// consumer would. Fails unless every event is a valid CloudEvent 1.0 with synchub's extension
// attributes, and no two events share source + id.
// usage: node check-cloudevents.mjs EVENTS.jsonl   (prints a JSON summary)
import { readFileSync } from "node:fs";
import { CloudEvent, Kafka } from "cloudevents";

const problems = [];
const seen = new Map(); // source + id -> where it was first seen
let events = 0;
for (const line of readFileSync(process.argv[2], "utf8").split("\n")) {
  if (!line.trim()) continue;
  const envelope = JSON.parse(line);
  const where = `${envelope.topic}/${envelope.partition}@${envelope.offset}`;
  const headers = {};
  const list = envelope.headers || [];
  for (let i = 0; i + 1 < list.length; i += 2) headers[list[i]] = list[i + 1];
  events++;
  try {
    const message = { key: envelope.key, value: envelope.payload, headers, timestamp: String(envelope.ts) };
    const event = Kafka.toEvent(message);
    event.validate();
    new CloudEvent({ ...event }, true); // strict: extension names, attribute types
    if (event.specversion !== "1.0") problems.push(`${where}: specversion ${event.specversion}`);
    if (event.subject !== envelope.key) problems.push(`${where}: subject ${event.subject} is not the key`);
    for (const extension of ["synchuborigin", "synchubcursor"])
      if (typeof event[extension] !== "string" || !event[extension])
        problems.push(`${where}: no ${extension} extension attribute`);
    // Plain headers outside the binding are dropped by SDKs: synchub's must not rely on them.
    for (const name of Object.keys(headers))
      if (!name.startsWith("ce_") && name !== "content-type") problems.push(`${where}: plain header ${name}`);
    if (event.data === undefined) problems.push(`${where}: no data`);
    const id = `${event.source} ${event.id}`;
    if (seen.has(id)) problems.push(`${where}: id ${event.id} of ${event.source} already used by ${seen.get(id)}`);
    else seen.set(id, where);
  } catch (error) {
    problems.push(`${where}: ${error.message}${error.errors ? " " + JSON.stringify(error.errors) : ""}`);
  }
}
console.log(JSON.stringify({ events, unique_ids: seen.size, problems: problems.slice(0, 20) }));
process.exit(problems.length || events === 0 ? 1 : 0);
