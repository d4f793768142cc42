/* The Web Worker that holds the content key and does all encryption, so the page never freezes
 * (Tor Browser "Safer" runs libsodium without JIT or WebAssembly: about 1 MB/s).
 *
 * The page asks, the worker answers, one message at a time:
 *   init {sodium, envelope}        -> ready {wasm}
 *   begin {binding, recipients}    -> slots {slots}
 *   size {sizes}                   -> size {bytes}   (ciphertext bytes of files of these sizes)
 *   work {challenge, bits}         -> work {proof}   (the upload slot's proof of work)
 *   file {index, file, chunkSize}  -> file
 *   next                           -> chunk {data, last, plaintextBytes}   (ciphertext to upload)
 *   answers {document}             -> answers {answers}                     (base64 ciphertext)
 *   newCodename                    -> newCodename {codename, loginId, publicKey}   (for a testimony)
 *   codename {codename, version}   -> codename {loginId, publicKey}  (the secret key stays here)
 *   reply {box, from, dated}       -> reply {opened: {text, month}}  (null when it does not open)
 *   proof {message, recipients}    -> proof {proof}  (a follow-up's proof, with the codename's key)
 * Any failure answers {op: "error", message}.
 */
"use strict";

/* Files are read in blocks of this many bytes (16 secretstream chunks) to keep reads few. */
const READ_BLOCK = 16 * 64 * 1024;

let envelope = null;
let sealer = null;
let reader = null;
let codenameKeys = null;

/* Reads a File block by block and hands out ciphertext in upload-sized pieces: the header,
 * then secretstream chunks, the last one tagged final. The plaintext is the file followed by
 * zeros up to its size bucket (the answers document keeps the true size). Memory: one block
 * and one piece. */
class CiphertextReader {
  constructor(encryptor, file, pieceSize) {
    this.encryptor = encryptor;
    this.file = file;
    this.total = envelope.paddedFileSize(file.size);
    this.pieceSize = pieceSize;
    this.offset = 0;
    this.finished = false;
    this.pending = encryptor.header;
    this.pendingOffset = 0;
  }

  async next() {
    const piece = new Uint8Array(this.pieceSize);
    let filled = 0;
    const before = this.offset;
    while (filled < this.pieceSize) {
      if (this.pendingOffset === this.pending.length) {
        if (this.finished) break;
        this.pending = await this.encryptBlock();
        this.pendingOffset = 0;
      }
      const n = Math.min(this.pieceSize - filled, this.pending.length - this.pendingOffset);
      piece.set(this.pending.subarray(this.pendingOffset, this.pendingOffset + n), filled);
      filled += n;
      this.pendingOffset += n;
    }
    const last = this.finished && this.pendingOffset === this.pending.length;
    const size = this.file.size;
    const plaintextBytes = Math.min(this.offset, size) - Math.min(before, size); // progress
    return { data: piece.slice(0, filled), last, plaintextBytes };
  }

  async encryptBlock() {
    const end = Math.min(this.offset + READ_BLOCK, this.total);
    const block = new Uint8Array(end - this.offset); // zeros past the end of the file
    if (this.offset < this.file.size) {
      const read = this.file.slice(this.offset, Math.min(end, this.file.size));
      block.set(new Uint8Array(await read.arrayBuffer()));
    }
    const pieces = [];
    let position = 0;
    do {
      const stop = Math.min(position + envelope.CHUNK_SIZE, block.length);
      const last = this.offset + stop === this.total;
      pieces.push(this.encryptor.push(block.subarray(position, stop), last));
      position = stop;
    } while (position < block.length);
    this.offset = end;
    this.finished = end === this.total;
    return envelope.concat(pieces);
  }
}

/* Solve the upload slot's puzzles (portal/respondent/work.py): for each index i < 8, a counter
 * whose SHA-256 with the challenge and i starts with `bits - 3` zero bits. WebCrypto runs at
 * native speed even without a JIT (Tor Browser "Safer"); 32 candidates are hashed at a time,
 * which Firefox needs to reach its speed. libsodium's SHA-256 stands in without WebCrypto. */
const WORK_PIECES = 8;
const WORK_BATCH = 32;

async function solve(challenge, bits) {
  const base = self.sodium.from_base64(challenge, self.sodium.base64_variants.URLSAFE);
  const zeros = Math.max(bits - 3, 0);
  const subtle = self.crypto && self.crypto.subtle;
  const hash = (input) => (subtle ? subtle.digest("SHA-256", input) : Promise.resolve(self.sodium.crypto_hash_sha256(input)));
  const proof = [];
  for (let index = 0; index < WORK_PIECES; index++) {
    let found = -1;
    for (let start = 0; found < 0; start += WORK_BATCH) {
      const inputs = [];
      for (let counter = start; counter < start + WORK_BATCH; counter++) {
        const input = new Uint8Array(base.length + 9);
        input.set(base);
        input[base.length] = index;
        const view = new DataView(input.buffer);
        view.setUint32(base.length + 1, Math.floor(counter / 2 ** 32));
        view.setUint32(base.length + 5, counter >>> 0);
        inputs.push(input);
      }
      const digests = await Promise.all(inputs.map(hash));
      for (let k = 0; k < digests.length && found < 0; k++) {
        if (leadingZeroBits(new Uint8Array(digests[k])) >= zeros) found = start + k;
      }
    }
    proof.push(found);
  }
  return proof;
}

function leadingZeroBits(bytes) {
  let zeros = 0;
  for (const byte of bytes) {
    if (byte === 0) {
      zeros += 8;
      continue;
    }
    return zeros + Math.clz32(byte) - 24;
  }
  return zeros;
}

async function handle(message) {
  switch (message.op) {
    case "init": {
      importScripts(message.sodium, new URL("glas-codename.js", message.envelope).href, message.envelope);
      await self.sodium.ready;
      envelope = glasEnvelope(self.sodium);
      return { op: "ready", wasm: typeof WebAssembly === "object" };
    }
    case "begin":
      sealer = envelope.newSealer(message.binding, message.recipients);
      return { op: "slots", slots: sealer.slots };
    case "work":
      return { op: "work", proof: await solve(message.challenge, message.bits) };
    case "size":
      return { op: "size", bytes: message.sizes.reduce((n, s) => n + envelope.fileCiphertextSize(s), 0) };
    case "file":
      reader = new CiphertextReader(sealer.fileEncryptor(message.index), message.file, message.chunkSize);
      return { op: "file" };
    case "next": {
      const chunk = await reader.next();
      return [{ op: "chunk", ...chunk }, [chunk.data.buffer]];
    }
    case "answers": {
      const ciphertext = sealer.sealAnswers(message.document);
      sealer = null; // the content key is not needed any more
      return { op: "answers", answers: self.sodium.to_base64(ciphertext, self.sodium.base64_variants.ORIGINAL) };
    }
    case "newCodename": {
      const codename = envelope.newCodename();
      const keys = envelope.deriveCodename(codename);
      const publicKey = self.sodium.to_base64(keys.publicKey, self.sodium.base64_variants.ORIGINAL);
      return { op: "newCodename", codename, loginId: keys.loginId, publicKey };
    }
    case "codename":
      codenameKeys = envelope.deriveCodename(message.codename, message.version);
      return {
        op: "codename",
        loginId: codenameKeys.loginId,
        publicKey: self.sodium.to_base64(codenameKeys.publicKey, self.sodium.base64_variants.ORIGINAL),
      };
    case "proof":
      return { op: "proof", proof: envelope.followUpProof(message.message, codenameKeys, message.recipients) };
    case "reply":
      return { op: "reply", opened: envelope.openReply(message.box, message.from, codenameKeys.secretKey, message.dated) };
    default:
      throw new Error("unknown request " + message.op);
  }
}

self.onmessage = (event) => {
  handle(event.data).then(
    (reply) => (Array.isArray(reply) ? self.postMessage(reply[0], reply[1]) : self.postMessage(reply)),
    (error) => self.postMessage({ op: "error", message: String(error && error.message ? error.message : error) }),
  );
};
