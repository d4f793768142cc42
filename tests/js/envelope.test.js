/* The browser's envelope module (portal/static/js/glas-envelope.js) against the same known-answer
 * vectors as crypto/ (tests/vectors/). Run by `node --test tests/js/`, which pytest calls. */
"use strict";

const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const test = require("node:test");
const sodium = require("libsodium-wrappers");
const glasEnvelope = require("../../portal/static/js/glas-envelope.js");

const VECTORS = path.join(__dirname, "..", "vectors");
const load = (name) => JSON.parse(fs.readFileSync(path.join(VECTORS, name), "utf8"));
const attachmentPlaintext = (size) => Uint8Array.from({ length: size }, (_, i) => (7 * i + 3) % 256);

let envelope;
test.before(async () => {
  await sodium.ready;
  envelope = glasEnvelope(sodium);
});

function opened(vector) {
  const publicKey = envelope.parsePublicKey(vector.reviewer_public_key);
  const secretKey = sodium.from_hex(vector.reviewer_secret_key);
  assert.deepEqual(sodium.crypto_scalarmult_base(secretKey), publicKey);
  // A bundle record: the canonical JSON line, then its checksum line.
  return envelope.openRecord(JSON.parse(vector.record.split("\n")[0]), publicKey, secretKey);
}

for (const name of ["answers-only.json", "with-attachments.json"]) {
  test(`${name}: the answers decrypt to the stated document, byte for byte canonical`, () => {
    const vector = load(name);
    const result = opened(vector);
    assert.deepEqual(result.document, vector.expected_answers_document);
    // Python's canonical JSON and ours are the same bytes, non-ASCII and escapes included.
    assert.equal(envelope.canonicalJson(vector.expected_answers_document), result.text);
  });
}

test("with-attachments.json: the attachments decrypt to the stated bytes", () => {
  const vector = load("with-attachments.json");
  const result = opened(vector);
  for (const [part, expected] of Object.entries(vector.expected_files)) {
    const index = Number(part.slice("file-".length));
    const plaintext = result.openFile(index, sodium.from_hex(vector.parts[part]));
    assert.deepEqual(plaintext, attachmentPlaintext(expected.size));
  }
});

test("tampered-attachment.json: a flipped bit fails authentication", () => {
  const vector = load("tampered-attachment.json");
  const result = opened(vector);
  const part = vector.expected_failure;
  assert.throws(() => result.openFile(0, sodium.from_hex(vector.parts[part])));
});

test("padding.json: the same size buckets", () => {
  const vector = load("padding.json");
  for (const c of vector.cases) assert.equal(envelope.paddedSize(c.length), c.padded_length);
});

test("file-padding.json: the same Padmé buckets for attachments", () => {
  const vector = load("file-padding.json");
  for (const c of vector.cases) assert.equal(envelope.paddedFileSize(c.size), c.padded_size);
});

test("a payload moved to another slot fails authentication", () => {
  const vector = load("with-attachments.json");
  const result = opened(vector);
  assert.throws(() => result.openFile(1, sodium.from_hex(vector.parts["file-0"])));
});

test("canonical JSON of integers beyond 2^53 keeps every digit", () => {
  assert.equal(envelope.canonicalJson({ b: 123456789012345678n, a: [1, "x"] }), '{"a":[1,"x"],"b":123456789012345678}');
  assert.throws(() => envelope.canonicalJson({ a: 1.5 }));
});

test("codename.json: the same login id and key pair as Python, and the reply opens", async () => {
  // Argon2id is only in the "sumo" build, which the replies page loads.
  const sumo = require("libsodium-wrappers-sumo");
  await sumo.ready;
  const withArgon = glasEnvelope(sumo);
  const vector = load("codename.json");
  assert.equal(withArgon.normalizeCodename(vector.codename), vector.normalised);
  const keys = withArgon.deriveCodename(vector.codename);
  assert.equal(keys.loginId, vector.login_id);
  assert.equal(sumo.to_hex(keys.publicKey), vector.public_key);
  const reply = JSON.parse(vector.reply_file);
  assert.equal(withArgon.openReply(reply.box, reply.from, keys.secretKey, false).text, vector.reply_text);
  const other = withArgon.deriveCodename("some other words entirely");
  assert.equal(withArgon.openReply(reply.box, reply.from, other.secretKey, false), null);
});

test("codename-digits.json: typed variants check as in Python; same keys; the reply opens", async () => {
  const sumo = require("libsodium-wrappers-sumo");
  await sumo.ready;
  const withArgon = glasEnvelope(sumo);
  const codenames = require("../../portal/static/js/glas-codename.js");
  const vector = load("codename-digits.json");
  for (const expected of vector.checks) {
    const got = codenames.check(expected.typed);
    assert.equal(got.canonical || "", expected.canonical, expected.typed);
    assert.deepEqual(got.typoGroups || [], expected.typo_groups, expected.typed);
    assert.equal(got.length === undefined ? null : got.length, expected.length, expected.typed);
    assert.equal(!!got.empty, expected.empty, expected.typed);
  }
  const keys = withArgon.deriveCodename(vector.codename);
  assert.equal(keys.loginId, vector.login_id);
  assert.equal(sumo.to_hex(keys.publicKey), vector.public_key);
  const reply = JSON.parse(vector.reply_file);
  assert.equal(withArgon.openReply(reply.box, reply.from, keys.secretKey, false).text, vector.reply_text);
});

test("codename-v2.json: version 2 checks and derives as in Python; the dated reply opens", async () => {
  const sumo = require("libsodium-wrappers-sumo");
  await sumo.ready;
  const withArgon = glasEnvelope(sumo);
  const codenames = require("../../portal/static/js/glas-codename.js");
  const vector = load("codename-v2.json");
  for (const expected of vector.checks) {
    const got = codenames.check(expected.typed);
    assert.equal(got.canonical || "", expected.canonical, expected.typed);
    assert.deepEqual(got.typoGroups || [], expected.typo_groups, expected.typed);
    assert.deepEqual(got.versions || [], expected.versions, expected.typed);
  }
  const keys = withArgon.deriveCodename(vector.codename);
  assert.equal(keys.version, 2);
  assert.equal(keys.loginId, vector.login_id);
  assert.equal(sumo.to_hex(keys.publicKey), vector.public_key);
  const reply = JSON.parse(vector.reply_file);
  assert.equal(reply.format, "glas-reply-3");
  assert.deepEqual(withArgon.openReply(reply.box, reply.from, keys.secretKey, true), {
    text: vector.reply_text, month: vector.reply_month,
  });
  const old = load("codename-digits.json");
  assert.equal(withArgon.deriveCodename(old.codename).loginId, old.login_id);
});

test("a new codename in the browser passes its own check: 5 groups of 6 digits", async () => {
  const sumo = require("libsodium-wrappers-sumo");
  await sumo.ready;
  const withArgon = glasEnvelope(sumo);
  for (let i = 0; i < 200; i++) {
    const codename = withArgon.newCodename();
    assert.match(codename, /^(\d{6} ){4}\d{6}$/);
    assert.equal(withArgon.checkCodename(codename).versions[0], 2);
  }
});
