/* Envelope v1 (docs/envelope.md) in JavaScript: the same bytes as crypto/envelope.py.
 *
 * Runs in the page's Web Worker (importScripts, after libsodium's `ready`) and in Node for the
 * cross-language tests (require). Only libsodium primitives; nothing here touches the DOM.
 * The content key never leaves this module's closures.
 */
"use strict";

/* In the worker glas-codename.js is imported before this file; in Node it is required. */
const codenames = typeof glasCodename === "object" ? glasCodename : require("./glas-codename.js");

function glasEnvelope(sodium) {
  const FORMAT = "glas-envelope-1";
  const ANSWERS_FORMAT = "glas-answers-1";
  const PUBLIC_KEY_PREFIX = "glas-pk-1:";
  const CHUNK_SIZE = 64 * 1024;
  const KEY_SIZE = 32;
  const KEY_ID_SIZE = 20;
  const MIN_PADDED_SIZE = 1024;
  const MIN_FILE_PADDING = 1024;
  const SUBMISSION_ID = /^[0-9a-f]{32}$/;
  const HEADER_SIZE = sodium.crypto_secretstream_xchacha20poly1305_HEADERBYTES;
  const ABYTES = sodium.crypto_secretstream_xchacha20poly1305_ABYTES;
  const TAG_MESSAGE = sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE;
  const TAG_FINAL = sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL;
  const CIPHER_CHUNK_SIZE = CHUNK_SIZE + ABYTES;
  const encoder = new TextEncoder();

  class EnvelopeError extends Error {}

  function associatedData(binding, part) {
    const fields = [FORMAT, binding.survey, binding.version, binding.submissionId, part];
    if (fields.some((field) => typeof field !== "string" || field.includes("\n"))) {
      throw new EnvelopeError("Envelope metadata cannot contain line breaks.");
    }
    return encoder.encode(fields.join("\n"));
  }

  function filePart(index) {
    return "file-" + index;
  }

  /* Python's json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False). Integers
   * that do not fit a double travel as BigInt. Keys are question names (ASCII), so sorting by
   * UTF-16 code units equals Python's code point order. */
  function canonicalJson(value) {
    if (typeof value === "bigint") return value.toString();
    if (typeof value === "number") {
      if (!Number.isSafeInteger(value)) throw new EnvelopeError("Only whole numbers are sent as numbers.");
      return String(value);
    }
    if (value === null || typeof value === "string" || typeof value === "boolean") {
      return JSON.stringify(value);
    }
    if (Array.isArray(value)) return "[" + value.map(canonicalJson).join(",") + "]";
    const keys = Object.keys(value).sort();
    return "{" + keys.map((k) => JSON.stringify(k) + ":" + canonicalJson(value[k])).join(",") + "}";
  }

  /* Attachments are padded with zeros to a Padmé bucket before sealing (crypto/envelope.py
   * padded_file_size): at most ~12 % more, and the stored size says little about the file's.
   * Plain arithmetic, not bit operations: files may be larger than 2^31 bytes. */
  function paddedFileSize(size) {
    const length = Math.max(size, MIN_FILE_PADDING);
    let exponent = 0;
    while (2 ** (exponent + 1) <= length) exponent += 1;
    let exponentBits = 0;
    while (2 ** exponentBits <= exponent) exponentBits += 1;
    const step = 2 ** (exponent - exponentBits);
    return Math.ceil(length / step) * step;
  }

  /* Bytes of the sealed payload of a file of this size (header, padded chunks, their tags). */
  function fileCiphertextSize(size) {
    const padded = paddedFileSize(size);
    return HEADER_SIZE + Math.max(1, Math.ceil(padded / CHUNK_SIZE)) * ABYTES + padded;
  }

  function paddedSize(length) {
    let bucket = MIN_PADDED_SIZE;
    while (bucket < length + 1) bucket *= 2;
    return bucket;
  }

  function parsePublicKey(line) {
    const text = line.trim();
    if (!text.startsWith(PUBLIC_KEY_PREFIX)) throw new EnvelopeError("Not a glas-pk-1 key.");
    const raw = sodium.from_base64(text.slice(PUBLIC_KEY_PREFIX.length), sodium.base64_variants.ORIGINAL);
    if (raw.length !== KEY_SIZE) throw new EnvelopeError("A public key has 32 bytes.");
    return raw;
  }

  function keyId(publicKey) {
    return sodium.to_hex(sodium.crypto_generichash(KEY_ID_SIZE, publicKey, null));
  }

  /* Encrypts one payload piece by piece; the caller says which piece is the last. */
  class StreamEncryptor {
    constructor(key, ad) {
      const { state, header } = sodium.crypto_secretstream_xchacha20poly1305_init_push(key);
      this.state = state;
      this.header = header;
      this.ad = ad;
    }

    push(message, last) {
      const tag = last ? TAG_FINAL : TAG_MESSAGE;
      return sodium.crypto_secretstream_xchacha20poly1305_push(this.state, message, this.ad, tag);
    }
  }

  function encryptBytes(key, ad, plaintext) {
    const stream = new StreamEncryptor(key, ad);
    const pieces = [stream.header];
    let offset = 0;
    do {
      const end = Math.min(offset + CHUNK_SIZE, plaintext.length);
      pieces.push(stream.push(plaintext.subarray(offset, end), end === plaintext.length));
      offset = end;
    } while (offset < plaintext.length);
    return concat(pieces);
  }

  function decryptBytes(key, ad, ciphertext) {
    if (ciphertext.length < HEADER_SIZE + ABYTES) throw new EnvelopeError("The payload is too short.");
    const state = sodium.crypto_secretstream_xchacha20poly1305_init_pull(ciphertext.subarray(0, HEADER_SIZE), key);
    const pieces = [];
    for (let offset = HEADER_SIZE; offset < ciphertext.length; offset += CIPHER_CHUNK_SIZE) {
      const end = Math.min(offset + CIPHER_CHUNK_SIZE, ciphertext.length);
      const result = sodium.crypto_secretstream_xchacha20poly1305_pull(state, ciphertext.subarray(offset, end), ad);
      if (!result) throw new EnvelopeError("A payload chunk failed authentication.");
      const last = end === ciphertext.length;
      if ((result.tag === TAG_FINAL) !== last) throw new EnvelopeError("The payload was truncated or extended.");
      pieces.push(result.message);
    }
    return concat(pieces);
  }

  /* One submission: a fresh content key, one key slot per reviewer, payloads under the key. */
  function newSealer(binding, recipientLines) {
    if (!SUBMISSION_ID.test(binding.submissionId)) throw new EnvelopeError("Bad submission id.");
    if (!recipientLines.length) throw new EnvelopeError("No reviewer key to seal to.");
    const key = sodium.crypto_secretstream_xchacha20poly1305_keygen();
    const slots = recipientLines.map((line) => {
      const publicKey = parsePublicKey(line);
      return {
        key_id: keyId(publicKey),
        sealed_key: sodium.to_base64(sodium.crypto_box_seal(key, publicKey), sodium.base64_variants.ORIGINAL),
      };
    });
    return {
      slots,
      sealAnswers(document) {
        const json = encoder.encode(canonicalJson(document));
        const padded = sodium.pad(json, paddedSize(json.length));
        return encryptBytes(key, associatedData(binding, "answers"), padded);
      },
      fileEncryptor(index) {
        return new StreamEncryptor(key, associatedData(binding, filePart(index)));
      },
    };
  }

  /* Codenames (crypto/codename.py): the same login id and key pair from the same codename.
   * Checking and normalising is glas-codename.js; Argon2id is only in libsodium's "sumo" build,
   * which pages that make or read codenames load. Version 2 (made now) is sized for a phone
   * without JIT; versions 1 and 0 (digits and words made before) keep INTERACTIVE. */
  const CODENAME_CONTEXTS = { login: "glas-login-id-1", key: "glas-reply-key-1" };
  const DERIVATIONS = {
    2: { salt: "glas-codename-2", opslimit: 2, memlimit: 512 * 1024 },
    1: { salt: "glas-codename-1", opslimit: 2, memlimit: 64 * 1024 * 1024 },
    0: { salt: "glas-codename-1", opslimit: 2, memlimit: 64 * 1024 * 1024 },
  };
  const { normalize: normalizeCodename, check: checkCodename, damm, GROUPS, GROUP_DIGITS, VERSION_DIGIT, CURRENT_VERSION } = codenames;

  /* A new codename, as shown: "482719 305512 …" (digits drawn without bias by libsodium). */
  function newCodename() {
    const groups = [];
    for (let g = 0; g < GROUPS; g++) {
      let data = "";
      for (let i = 0; i < GROUP_DIGITS - 1; i++) data += String(sodium.randombytes_uniform(10));
      groups.push(data + String(damm(VERSION_DIGIT[CURRENT_VERSION] + data)));
    }
    return groups.join(" ");
  }

  /* The keys of the newest version the codename passes the check of, or of ``version``. */
  function deriveCodename(codename, version) {
    const found = version === undefined ? (checkCodename(codename).versions || [CURRENT_VERSION])[0] : version;
    const how = DERIVATIONS[found];
    const salt = sodium.crypto_generichash(16, encoder.encode(how.salt), null);
    const master = sodium.crypto_pwhash(
      32, encoder.encode(normalizeCodename(codename)), salt, how.opslimit, how.memlimit,
      sodium.crypto_pwhash_ALG_ARGON2ID13,
    );
    const context = (name) => sodium.crypto_generichash(32, encoder.encode(CODENAME_CONTEXTS[name]), master);
    const { publicKey, privateKey } = sodium.crypto_box_seed_keypair(context("key"));
    return { loginId: sodium.to_hex(context("login")), publicKey, secretKey: privateKey, version: found };
  }

  /* A reply's box (nonce || crypto_box), opened with the codename's key: {text, month} (month
   * "YYYY-MM" for glas-reply-3, whose box holds JSON; null before), or null if it will not. */
  function openReply(box, senderLine, secretKey, dated) {
    const boxed = sodium.from_base64(box, sodium.base64_variants.ORIGINAL);
    const nonceSize = sodium.crypto_box_NONCEBYTES;
    let content;
    try {
      const opened = sodium.crypto_box_open_easy(
        boxed.subarray(nonceSize), boxed.subarray(0, nonceSize), parsePublicKey(senderLine), secretKey,
      );
      content = new TextDecoder("utf-8", { fatal: true }).decode(opened);
    } catch (error) {
      return null;
    }
    if (!dated) return { text: content, month: null };
    try {
      const { text, month } = JSON.parse(content);
      if (typeof text !== "string" || typeof month !== "string" || !/^\d{4}-(0[1-9]|1[0-2])$/.test(month)) return null;
      return { text, month };
    } catch (error) {
      return null;
    }
  }

  /* A follow-up's proof that it comes from the codename (crypto/codename.py follow_up_proof):
   * per reviewer key id, nonce ‖ crypto_box(BLAKE2b-256(key "glas-follow-up-1", canonical JSON
   * of key, login and message), nonce, reviewer, codename secret), in base64. */
  function followUpProof(message, keys, recipientLines) {
    const replyKey = sodium.to_base64(keys.publicKey, sodium.base64_variants.ORIGINAL);
    const document = canonicalJson({ key: replyKey, login: keys.loginId, message });
    const digest = sodium.crypto_generichash(32, encoder.encode(document), encoder.encode("glas-follow-up-1"));
    const proofs = {};
    for (const line of recipientLines) {
      const reviewer = parsePublicKey(line);
      const nonce = sodium.randombytes_buf(sodium.crypto_box_NONCEBYTES);
      const boxed = sodium.crypto_box_easy(digest, nonce, reviewer, keys.secretKey);
      proofs[keyId(reviewer)] = sodium.to_base64(concat([nonce, boxed]), sodium.base64_variants.ORIGINAL);
    }
    return proofs;
  }

  /* For the tests: open a record the way the reviewer's tool does. */
  function openRecord(record, publicKey, secretKey) {
    const mine = record.slots.find((slot) => slot.key_id === keyId(publicKey));
    if (!mine) throw new EnvelopeError("No key slot for this reviewer key.");
    const sealed = sodium.from_base64(mine.sealed_key, sodium.base64_variants.ORIGINAL);
    const key = sodium.crypto_box_seal_open(sealed, publicKey, secretKey);
    const binding = { survey: record.survey, version: record.version, submissionId: record.id };
    const answersCt = sodium.from_base64(record.answers, sodium.base64_variants.ORIGINAL);
    const padded = decryptBytes(key, associatedData(binding, "answers"), answersCt);
    const text = new TextDecoder().decode(sodium.unpad(padded, padded.length));
    return {
      text,
      document: JSON.parse(text),
      openFile(index, ciphertext) {
        return decryptBytes(key, associatedData(binding, filePart(index)), ciphertext);
      },
    };
  }

  function concat(pieces) {
    const out = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
    let offset = 0;
    for (const piece of pieces) {
      out.set(piece, offset);
      offset += piece.length;
    }
    return out;
  }

  return {
    ANSWERS_FORMAT, CHUNK_SIZE, HEADER_SIZE, ABYTES, EnvelopeError,
    associatedData, canonicalJson, paddedSize, paddedFileSize, fileCiphertextSize, parsePublicKey, keyId, filePart,
    encryptBytes, decryptBytes, newSealer, openRecord, concat,
    checkCodename, normalizeCodename, newCodename, deriveCodename, openReply, followUpProof,
  };
}

if (typeof module === "object" && module.exports) module.exports = glasEnvelope;
