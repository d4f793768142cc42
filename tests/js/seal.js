/* Seal a submission with the browser's envelope module, for Python to open
 * (tests/test_browser_envelope.py). Usage: node tests/js/seal.js PUBLIC_KEY_LINE SUBMISSION_ID
 * Reads the answers document from stdin (JSON; "count" becomes a BigInt to test big integers),
 * writes {slots, answers, parts} to stdout. The attachment follows the vectors' byte rule. */
"use strict";

const sodium = require("libsodium-wrappers");
const glasEnvelope = require("../../portal/static/js/glas-envelope.js");

async function main() {
  await sodium.ready;
  const envelope = glasEnvelope(sodium);
  const [publicKey, submissionId] = process.argv.slice(2);
  const document = JSON.parse(require("node:fs").readFileSync(0, "utf8"));
  document.answers.count = BigInt(document.answers.count); // sent as text: no rounding
  const binding = { survey: document.survey, version: document.version, submissionId };
  const sealer = envelope.newSealer(binding, [publicKey]);
  const parts = {};
  for (const file of document.files) {
    const plaintext = Uint8Array.from({ length: file.size }, (_, i) => (7 * i + 3) % 256);
    const stream = sealer.fileEncryptor(file.part);
    const pieces = [stream.header];
    let offset = 0;
    do {
      const end = Math.min(offset + envelope.CHUNK_SIZE, plaintext.length);
      pieces.push(stream.push(plaintext.subarray(offset, end), end === plaintext.length));
      offset = end;
    } while (offset < plaintext.length);
    parts["file-" + file.part] = Buffer.concat(pieces).toString("hex");
  }
  const answers = sodium.to_base64(sealer.sealAnswers(document), sodium.base64_variants.ORIGINAL);
  process.stdout.write(JSON.stringify({ slots: sealer.slots, answers, parts }));
}

main().catch((error) => {
  console.error(error.message);
  process.exit(1);
});
