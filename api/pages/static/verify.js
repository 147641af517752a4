// Jejak bundle verifier in the browser: a second, independent implementation of the
// cryptographic checks of `jejak verify` (jejak-bundle/2, and the legacy jejak-bundle/1), with
// WebCrypto Ed25519 and SHA-256. The domain rules are not replayed here: `jejak verify` does.
// It trusts nothing but the log key; it makes no request but the one for /v1/log-key.
"use strict";

const enc = new TextEncoder();

function b64(text) {
  if (typeof text !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4) {
    return null;
  }
  const raw = atob(text);
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}
function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
function unhex(text) {
  if (typeof text !== "string" || !/^[0-9a-f]{64}$/.test(text)) return null;
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}
function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}
function same(a, b) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}
async function ed25519(publicKey, signature, message) {
  if (signature.length !== 64 || publicKey.length !== 32) return false;
  try {
    const key = await crypto.subtle.importKey("raw", publicKey, { name: "Ed25519" }, false, ["verify"]);
    return await crypto.subtle.verify({ name: "Ed25519" }, key, signature, message);
  } catch (_) {
    return false;
  }
}
const leafHash = (data) => sha256(concat(new Uint8Array([0]), data));
const nodeHash = (l, r) => sha256(concat(new Uint8Array([1]), l, r));

// RFC 8785 for the leaf: sorted keys, compact, strings as JSON.stringify writes them.
function canonical(value) {
  if (Array.isArray(value)) return "[" + value.map(canonical).join(",") + "]";
  if (value !== null && typeof value === "object") {
    const keys = Object.keys(value).sort();
    return "{" + keys.map((k) => JSON.stringify(k) + ":" + canonical(value[k])).join(",") + "}";
  }
  return JSON.stringify(value);
}

// C2SP signed notes and checkpoints.
async function parseVerifierKey(text) {
  const trimmed = text.trim();
  const first = trimmed.indexOf("+");
  const second = trimmed.indexOf("+", first + 1);
  const name = trimmed.slice(0, first);
  const keyHash = trimmed.slice(first + 1, second);
  const raw = first > 0 && second > first ? b64(trimmed.slice(second + 1)) : null;
  if (!/^[0-9a-f]{8}$/.test(keyHash) || raw === null || raw.length !== 33 || raw[0] !== 1) {
    throw new Error("not a note verifier key");
  }
  return { name, keyId: keyHash, publicKey: raw.slice(1) };
}
async function verifyNote(note, verifier) {
  const split = note.lastIndexOf("\n\n");
  if (split < 0 || !note.endsWith("\n")) return null;
  const text = note.slice(0, split + 1);
  let verified = false;
  for (const line of note.slice(split + 2, -1).split("\n")) {
    if (!line.startsWith("\u2014 ")) return null;
    const [name, sig] = line.slice(2).split(" ");
    const raw = b64(sig || "");
    if (raw === null || raw.length < 5) return null;
    if (name !== verifier.name || hex(raw.slice(0, 4)) !== verifier.keyId) continue;
    if (!(await ed25519(verifier.publicKey, raw.slice(4), enc.encode(text)))) return null;
    verified = true;
  }
  return verified ? text : null;
}
function parseCheckpoint(text) {
  const lines = text.split("\n");
  const root = b64(lines[2] || "");
  if (lines.length < 4 || !/^[0-9]+$/.test(lines[1]) || root === null || root.length !== 32) return null;
  return { origin: lines[0], size: Number(lines[1]), root };
}

// RFC 9162 proofs.
function innerProofSize(index, size) {
  let x = index ^ (size - 1), n = 0;
  while (x > 0) { n++; x = Math.floor(x / 2); }
  return n;
}
function popcount(x) { let n = 0; while (x > 0) { n += x % 2; x = Math.floor(x / 2); } return n; }
async function rootFromInclusion(index, size, leaf, proof) {
  if (index >= size) return null;
  const inner = innerProofSize(index, size);
  const border = popcount(Math.floor(index / 2 ** inner));
  if (proof.length !== inner + border) return null;
  let node = leaf;
  for (let i = 0; i < inner; i++) {
    node = Math.floor(index / 2 ** i) % 2 === 0 ? await nodeHash(node, proof[i]) : await nodeHash(proof[i], node);
  }
  for (let i = inner; i < proof.length; i++) node = await nodeHash(proof[i], node);
  return node;
}
async function verifyConsistency(size1, size2, proof, root1, root2) {
  if (size1 > size2) return false;
  if (size1 === size2) return proof.length === 0 && same(root1, root2);
  if (size1 === 0) return proof.length === 0;
  if (proof.length === 0) return false;
  let inner = innerProofSize(size1 - 1, size2);
  let shift = 0;
  while ((size1 >> shift) % 2 === 0) shift++;
  inner -= shift;
  let seed = proof[0], start = 1;
  if (size1 === 2 ** shift) { seed = root1; start = 0; }
  const border = popcount((size1 - 1) >> (shift + inner));
  if (proof.length !== start + inner + border) return false;
  const p = proof.slice(start);
  const mask = (size1 - 1) >> shift;
  let h1 = seed, h2 = seed;
  for (let i = 0; i < inner; i++) {
    if ((mask >> i) % 2 === 1) { h1 = await nodeHash(p[i], h1); h2 = await nodeHash(p[i], h2); }
    else { h2 = await nodeHash(h2, p[i]); }
  }
  for (let i = inner; i < p.length; i++) { h1 = await nodeHash(p[i], h1); h2 = await nodeHash(p[i], h2); }
  return same(h1, root1) && same(h2, root2);
}

// The key registry as the bundle's operator entries build it (verification/registry.py).
const OPERATOR_EVENTS = new Set(["org.registered", "key.registered", "key.revoked", "entry.redacted"]);
function allowedSigners(event, org) {
  if (OPERATOR_EVENTS.has(event.type)) return org.id === "operator";
  if (event.type.startsWith("complaint.") && event.type !== "complaint.evidence_submitted") {
    return org.kind === "ombudsman";
  }
  if (event.type === "entry.annotated" && (org.kind === "ombudsman" || org.kind === "inspectorate")) return true;
  return org.id === event.agency;
}
const instant = (text) => Date.parse(text);

// The input bounds every payload keeps (domain/fields.py, docs/input-bounds.md): the fields of
// DESIGN §3, no control characters, dates and instants within 2000-01-01..2099-12-31.
const FIELDS = ["type", "agency", "subject", "actor", "occurred_at", "data"];
const DATE = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/;
const INSTANT = /^([0-9]{4}-[0-9]{2}-[0-9]{2})[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$/;
const inYears = (day) => day >= "2000-01-01" && day <= "2099-12-31";
function stringProblem(text) {
  if (/[\x00-\x08\x0b-\x1f]/.test(text)) return true;
  if (DATE.test(text)) return !inYears(text);
  const m = INSTANT.exec(text);
  if (m) {
    const utc = new Date(Date.parse(text.replace("z", "Z")));
    return !inYears(m[1]) || Number.isNaN(utc.getTime()) || !inYears(utc.toISOString().slice(0, 10));
  }
  return false;
}
function valueProblem(value, depth) {
  if (depth > 16) return true;
  if (typeof value === "string") return stringProblem(value);
  if (Array.isArray(value)) return value.some((v) => valueProblem(v, depth + 1));
  if (value !== null && typeof value === "object") {
    return Object.entries(value).some(([k, v]) => stringProblem(k) || valueProblem(v, depth + 1));
  }
  return false;
}
function readPayload(bytes) {
  let event;
  try { event = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes)); }
  catch (_) { return null; }
  if (event === null || typeof event !== "object" || FIELDS.some((f) => !(f in event))) return null;
  if (typeof event.occurred_at !== "string" || !INSTANT.test(event.occurred_at)) return null;
  return valueProblem(event, 0) ? null : event;
}

async function verifyBundle1(bundle, verifierKey, trustedNote) {
  const failures = [];
  const fail = (reason, index) => failures.push({ reason, index });
  const verifier = await parseVerifierKey(verifierKey);
  let checkpoint = null;
  const text = await verifyNote(String(bundle.checkpoint || ""), verifier);
  if (text !== null) checkpoint = parseCheckpoint(text);
  if (checkpoint === null) fail("checkpoint", null);
  else if (checkpoint.origin !== bundle.origin) fail("checkpoint", null);
  if (checkpoint && trustedNote) {
    const trustedText = await verifyNote(trustedNote, verifier);
    const trusted = trustedText && parseCheckpoint(trustedText);
    if (!trusted) throw new Error("the trusted checkpoint does not verify");
    const proof = bundle.consistency;
    let ok = trusted.origin === checkpoint.origin && trusted.size <= checkpoint.size;
    if (ok && trusted.size === checkpoint.size) ok = same(trusted.root, checkpoint.root);
    else if (ok) {
      ok = !!proof && proof.from_size === trusted.size &&
        await verifyConsistency(trusted.size, checkpoint.size, (proof.hashes || []).map(unhex), trusted.root, checkpoint.root);
    }
    if (!ok) fail("consistency", null);
  }
  const later = new Map();
  for (const e of bundle.entries) {
    const sub = e.leaf.subject;
    if (sub.startsWith("key:") && e.leaf.version === 1 && !later.has(sub.slice(4))) later.set(sub.slice(4), e.index);
  }
  const keys = new Map();
  const orgs = new Map([["operator", { id: "operator", kind: "operator" }]]);
  const chains = new Map();
  const refused = new Set();
  let last = null;
  const jobs = [];
  for (const e of bundle.entries) {
    const before = failures.length;
    const index = e.index, leaf = e.leaf;
    const computed = await leafHash(enc.encode(canonical(leaf)));
    if (hex(computed) !== e.leaf_hash) fail("leaf-hash-mismatch", index);
    if (checkpoint) {
      const proof = (e.inclusion_proof || []).map(unhex);
      const root = proof.includes(null) ? null : await rootFromInclusion(index, checkpoint.size, computed, proof);
      if (root === null || !same(root, checkpoint.root)) fail("inclusion", index);
    }
    const at = instant(leaf.integrated_at);
    if (last !== null) {
      if (index <= last.index) fail("order", index);
      else if (at < last.at) fail("order", index);
    }
    last = { index, at };
    const [version, prev] = chains.get(leaf.subject) || [0, null];
    if (leaf.version !== version + 1) fail("chain-version", index);
    if (leaf.prev !== prev) fail("chain-prev", index);
    chains.set(leaf.subject, [leaf.version, hex(computed)]);
    const payload = e.payload === null ? null : b64(e.payload);
    if (payload !== null && hex(await sha256(payload)) !== leaf.payload_sha256) fail("payload-hash-mismatch", index);
    let event = null;
    let read = null;
    const signedByOperator = index === 0 || leaf.signatures.some((s) => (keys.get(s.keyid) || {}).org === "operator");
    if (payload !== null) {
      read = readPayload(payload);
      if (read === null) fail("payload-invalid", index);
      else if (signedByOperator) event = read;
    }
    if (read !== null && event === null && !refused.has(leaf.subject)) {
      // What the rule replay refuses (domain/rules/keys.py): no signing key of this entry
      // belongs to an organisation that may sign it, held by its actor or by no one.
      const fits = leaf.signatures.some((s) => {
        const key = keys.get(s.keyid);
        const org = key && orgs.get(key.org);
        return !key || (org && allowedSigners(read, org) && (key.holder === null || key.holder === read.actor));
      });
      if (!fits) {
        fail("replay-refused", index);
        refused.add(leaf.subject); // the replay does not run past a refused entry of a subject
      }
    }
    if (payload !== null) {
      const selfKey = (keyid) => {
        if (index !== 0 || !event || event.type !== "key.registered" || event.subject !== "key:" + keyid) return null;
        const raw = b64(event.data.public_key);
        return raw && raw.length === 32 ? raw : null;
      };
      const checkOne = (keyid) => {
        const key = keys.get(keyid);
        if (!key) {
          if (selfKey(keyid)) return null;
          const at2 = later.get(keyid);
          return at2 !== undefined && at2 >= index ? "key-registered-later" : "key-not-registered";
        }
        if (key.validFrom > at) return "key-not-yet-valid";
        if (key.revokedAt !== null && key.revokedAt <= at) return "key-revoked";
        const org = orgs.get(key.org);
        if (event && (!org || !allowedSigners(event, org))) return "key-not-of-organisation";
        if (event && key.holder !== null && key.holder !== event.actor) return "key-holder-mismatch";
        return null;
      };
      const results = leaf.signatures.map((s) => checkOne(s.keyid));
      // every signature's key must pass (DESIGN §5), as verification/registry.py checks
      const refusal = results.find((r) => r !== null);
      if (refusal || results.length === 0) fail(refusal || "key-not-registered", index);
      const message = concat(enc.encode(`DSSEv1 ${enc.encode(leaf.payload_type).length} ${leaf.payload_type} ${payload.length} `), payload);
      for (const s of leaf.signatures) {
        const publicKey = (keys.get(s.keyid) || {}).publicKey || selfKey(s.keyid);
        if (publicKey) jobs.push(ed25519(publicKey, b64(s.sig) || new Uint8Array(), message).then((ok) => ok || fail("bad-signature", index)));
      }
    }
    if (event && event.agency === "operator" && failures.length === before) {
      const keyid = String(event.subject).replace(/^key:/, "");
      if (event.type === "key.registered" && !keys.has(keyid)) {
        keys.set(keyid, { org: event.data.org, publicKey: b64(event.data.public_key), validFrom: instant(event.data.valid_from),
          holder: event.data.holder ?? null, revokedAt: null });
      } else if (event.type === "key.revoked" && keys.has(keyid) && keys.get(keyid).revokedAt === null) {
        keys.get(keyid).revokedAt = instant(event.data.effective_at);
      } else if (event.type === "org.registered" && !orgs.has(event.subject)) {
        orgs.set(event.subject, { id: event.subject, kind: event.data.kind });
      }
    }
  }
  await Promise.all(jobs);
  failures.sort((a, b) => (a.index ?? -1) - (b.index ?? -1) || a.reason.localeCompare(b.reason));
  return { ok: failures.length === 0, failures, entries: bundle.entries.length, checkpoint };
}

// ---- jejak-bundle/2 (docs/bundle.md), as verification/verify2.py checks it -------------------

class Unusable extends Error {}

// The line layout: header line ending in "records":[, one record per line (comma after all but
// the last), then ]}. A file that breaks it is unusable, as for `jejak verify`.
function readLayout(text) {
  const lines = text.split("\n");
  if (lines.length && lines[lines.length - 1] === "") lines.pop();
  const first = lines[0] || "";
  if (!first.startsWith("{") || !first.endsWith('"records":[')) throw new Unusable("line 1: not the jejak-bundle/2 line layout");
  let header;
  try { header = JSON.parse(first + "]}"); } catch (_) { throw new Unusable("line 1 is not JSON"); }
  if (header.format !== "jejak-bundle/2") throw new Unusable(`format is ${JSON.stringify(header.format)}`);
  const records = [];
  for (let n = 1; n < lines.length; n++) {
    const line = lines[n];
    if (line === "]}") {
      if (n !== lines.length - 1) throw new Unusable(`line ${n + 2}: text after the closing ]}`);
      if (n > 1 && lines[n - 1].endsWith(",")) throw new Unusable(`line ${n}: the last record is followed by a comma`);
      return { header, records };
    }
    if (n > 1 && !lines[n - 1].endsWith(",")) throw new Unusable(`line ${n}: a record without its comma`);
    const body = line.endsWith(",") ? line.slice(0, -1) : line;
    let record;
    try { record = JSON.parse(body); } catch (_) { throw new Unusable(`line ${n + 1} is not one JSON record`); }
    if (record === null || typeof record !== "object" || Array.isArray(record)) throw new Unusable(`line ${n + 1} is not a record`);
    records.push(record);
  }
  throw new Unusable("the file ends before the closing ]}");
}

const LEAF2 = ["integrated_at", "log", "payload_sha256", "payload_type", "prev", "registry_size", "signatures", "subject", "version"];
function checkRecord(r) {
  const ok = typeof r.log === "string" && ["log", "entry", "range", "head"].includes(r.record);
  if (!ok) throw new Unusable("a record is not log, entry, range or head");
  if (r.record === "entry") {
    if (!Number.isInteger(r.index) || r.index < 0 || typeof r.leaf_hash !== "string") throw new Unusable(`log ${r.log}: an entry without index or leaf_hash`);
    const leaf = r.leaf;
    if (!leaf || typeof leaf !== "object" || Object.keys(leaf).sort().join() !== LEAF2.join()) throw new Unusable(`log ${r.log} entry ${r.index}: the leaf's fields`);
    if (!Array.isArray(leaf.signatures) || !leaf.signatures.length) throw new Unusable(`log ${r.log} entry ${r.index}: no signatures`);
    if (r.payload === null ? !["redacted", "withheld"].includes(r.missing) : typeof r.payload !== "string" || b64(r.payload) === null) {
      throw new Unusable(`log ${r.log} entry ${r.index}: payload or missing`);
    }
    if (Number.isNaN(Date.parse(leaf.integrated_at))) throw new Unusable(`log ${r.log} entry ${r.index}: integrated_at`);
  }
  if (r.record === "range" && !(Number.isInteger(r.start) && Number.isInteger(r.end) && r.start >= 0 && r.end > r.start && Array.isArray(r.hashes))) {
    throw new Unusable(`log ${r.log}: a range that is no range`);
  }
}

async function mth(hashes, lo, hi) {
  if (hi - lo === 1) return hashes.get(lo);
  let k = 1;
  while (k * 2 < hi - lo) k *= 2;
  return nodeHash(await mth(hashes, lo, lo + k), await mth(hashes, lo + k, hi));
}
// The range walk of docs/bundle.md: inside subtrees from the leaves, one proof hash per outside one.
async function rangeRoot(size, start, end, leaves, proof) {
  let used = 0, bad = false;
  async function fold(lo, hi) {
    if (hi <= start || lo >= end) {
      const h = used < proof.length ? proof[used] : null;
      used++;
      if (h === null) { bad = true; return new Uint8Array(32); }
      return h;
    }
    if (start <= lo && hi <= end) return mth(leaves, lo, hi);
    let k = 1;
    while (k * 2 < hi - lo) k *= 2;
    const left = await fold(lo, lo + k);
    return nodeHash(left, await fold(lo + k, hi));
  }
  const root = await fold(0, size);
  return bad || used !== proof.length ? null : root;
}

// The subject map (docs/subject-map.md): a 16-ary Merkle tree over 65,536 buckets; a bucket
// hashes 0x02 || its heads (key, u64be(version), leaf hash) sorted by key, a node 0x03 || its
// 16 children. verifySubjectProof returns the proven head, or null for a proven absence.
class ProofError extends Error {
  constructor(code, message) { super(message); this.code = code; }
}
function u64be(n) {
  const out = new Uint8Array(8);
  let v = BigInt(n);
  for (let i = 7; i >= 0; i--) { out[i] = Number(v & 255n); v >>= 8n; }
  return out;
}
function compareBytes(a, b) {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}
async function verifySubjectProof(proof, root, size, subject) {
  const format = (what) => new ProofError("format", `subject-map proof: ${what}`);
  if (!proof || typeof proof !== "object" || Array.isArray(proof)) throw format("not an object");
  if (typeof proof.subject !== "string") throw format("subject");
  if (!Number.isInteger(proof.size) || proof.size < 0) throw format("size");
  if (!Array.isArray(proof.bucket)) throw format("bucket");
  const items = proof.bucket.map((item) => {
    if (!item || typeof item !== "object" || Array.isArray(item)) throw format("bucket item");
    const key = unhex(item.key), leaf = unhex(item.leaf_hash);
    if (!key || !leaf || !Number.isInteger(item.version)) throw format("bucket item");
    return { key, version: item.version, leaf };
  });
  if (!Array.isArray(proof.siblings) || proof.siblings.length !== 4) throw format("siblings");
  const siblings = proof.siblings.map((level) => {
    const hashes = Array.isArray(level) && level.length === 15 ? level.map(unhex) : null;
    if (!hashes || hashes.includes(null)) throw format("siblings");
    return hashes;
  });
  if (subject !== undefined && proof.subject !== subject) throw new ProofError("subject", "another subject");
  if (size !== undefined && size !== null && proof.size !== size) throw new ProofError("stale-size", `of size ${proof.size}, not ${size}`);
  const key = await sha256(enc.encode(proof.subject));
  const bucket = key[0] * 256 + key[1];
  let previous = null;
  for (const item of items) {
    if (item.key[0] * 256 + item.key[1] !== bucket) throw new ProofError("bucket-item", "a key of another bucket");
    if (previous && compareBytes(item.key, previous) <= 0) throw new ProofError("bucket-item", "keys not increasing");
    if (item.version < 1) throw new ProofError("bucket-item", "a version below 1");
    previous = item.key;
  }
  let h = await sha256(concat(new Uint8Array([2]), ...items.map((i) => concat(i.key, u64be(i.version), i.leaf))));
  for (let j = 0; j < 4; j++) {
    const children = siblings[j].slice();
    children.splice((bucket >> (4 * j)) & 15, 0, h);
    h = await sha256(concat(new Uint8Array([3]), ...children));
  }
  if (!same(h, root)) throw new ProofError("root-mismatch", "the proof rebuilds another root");
  const mine = items.find((i) => same(i.key, key));
  return mine ? { version: mine.version, leafHash: hex(mine.leaf) } : null;
}

async function checkpointOf(note, verifier, origin) {
  const text = await verifyNote(String(note || ""), verifier);
  const cp = text === null ? null : parseCheckpoint(text);
  return cp && cp.origin === origin && text.split("\n").length === 4 ? cp : null;
}

// The registry log's keys, organisations and redactions, each with its registry index
// (verification/keyring.py): an entry is judged on the first `size` registry entries.
class Keyring {
  constructor() {
    this.keys = new Map(); this.revoked = new Map(); this.redactions = new Set();
    this.orgs = new Map([["operator", { id: "operator", kind: "operator", index: 0 }]]);
  }
  key(keyid, size) {
    const key = this.keys.get(keyid);
    if (!key || key.index >= size) return null;
    const r = this.revoked.get(keyid);
    return { ...key, revokedAt: r && r.index < size ? r.at : null };
  }
  org(id, size) {
    const org = this.orgs.get(id);
    return org && (org.index < size || id === "operator") ? org : null;
  }
  publicKey(keyid, size, genesis) {
    const key = this.key(keyid, size);
    if (key) return key.publicKey;
    if (!genesis || genesis.type !== "key.registered" || genesis.subject !== "key:" + keyid || genesis.data.org !== "operator") return null;
    const raw = b64(genesis.data.public_key);
    return raw && raw.length === 32 ? raw : null;
  }
  check(keyid, event, at, size, genesis) {
    const key = this.key(keyid, size);
    if (!key) {
      if (this.publicKey(keyid, size, genesis)) return null;
      return this.keys.has(keyid) ? "key-registered-later" : "key-not-registered";
    }
    if (key.validFrom > at) return "key-not-yet-valid";
    if (key.revokedAt !== null && key.revokedAt <= at) return "key-revoked";
    const org = this.org(key.org, size);
    if (event && (!org || !allowedSigners(event, org))) return "key-not-of-organisation";
    if (event && key.holder !== null && key.holder !== event.actor) return "key-holder-mismatch";
    return null;
  }
  learn(index, event) {
    const keyid = String(event.subject).replace(/^key:/, "");
    if (event.type === "key.registered" && !this.keys.has(keyid)) {
      this.keys.set(keyid, { org: event.data.org, publicKey: b64(event.data.public_key), validFrom: instant(event.data.valid_from), holder: event.data.holder ?? null, index });
    } else if (event.type === "key.revoked" && this.keys.has(keyid) && !this.revoked.has(keyid)) {
      this.revoked.set(keyid, { index, at: instant(event.data.effective_at) });
    } else if (event.type === "org.registered" && !this.orgs.has(event.subject)) {
      this.orgs.set(event.subject, { id: event.subject, kind: event.data.kind, index });
    } else if (event.type === "entry.redacted") {
      this.redactions.add(`${event.data.log}\n${event.data.index}`);
    }
  }
}

// A head record (verification/heads.py): its proof against the log's subject-map note, and the
// bundle's chain of the subject from version 1 to the proven head.
async function checkHead(log, r, fail, partial) {
  const subject = r.subject;
  if (log.heads.includes(subject)) { fail(log.id, null, "head-proof"); log.proven.delete(subject); return; }
  log.heads.push(subject);
  if (!log.sm) { partial.push(`the head of ${subject} in log ${log.id} is not proven: no verified subject-map note`); return; }
  let head;
  try {
    head = await verifySubjectProof(r.proof, log.sm.root, log.sm.size, subject);
  } catch (error) {
    if (!(error instanceof ProofError)) throw error;
    if (error.code === "stale-size") partial.push(`the head of ${subject} in log ${log.id} is not proven: its proof is ${error.message} (a stale proof)`);
    else fail(log.id, null, "head-proof");
    return;
  }
  const chain = log.chains.get(subject), first = log.first.get(subject);
  if (head === null) {
    if (chain) fail(log.id, null, "head-proof");
    else log.proven.set(subject, 0);
    return;
  }
  if (!chain || !first) fail(log.id, null, "missing-entry");
  else if (first[0] > 1) fail(log.id, first[1], "missing-entry");
  else if (chain[0] < head.version) fail(log.id, log.lastIndex.get(subject), "missing-entry");
  else if (chain[0] > head.version || chain[1] !== head.leafHash) fail(log.id, null, "head-proof");
  else log.proven.set(subject, head.version);
}

async function verifyBundle2(text, verifierKey, trustedNotes) {
  const { header, records } = readLayout(text);
  records.forEach(checkRecord);
  const verifier = await parseVerifierKey(verifierKey);
  const failures = [], partial = [];
  const fail = (log, index, reason) => failures.push({ log, index, reason });
  const trusted = new Map();
  for (const note of trustedNotes) {
    const t = await verifyNote(note, verifier);
    const cp = t && parseCheckpoint(t);
    if (!cp || !cp.origin.startsWith(verifier.name + "/")) throw new Unusable("a trusted checkpoint does not verify");
    trusted.set(cp.origin.slice(verifier.name.length + 1), cp);
  }
  const ranges = new Map();
  for (const r of records) if (r.record === "range") (ranges.get(r.log) || ranges.set(r.log, []).get(r.log)).push({ ...r, leaves: new Map(), firstAt: null, lastAt: null });
  const keyring = new Keyring();
  const logs = new Map();
  let log = null;
  for (const r of records) {
    if (r.record === "log") {
      if (logs.has(r.log)) throw new Unusable(`log ${r.log} appears in two groups`);
      if (!logs.size && r.log !== "operator") throw new Unusable("the registry log must come first");
      const origin = `${verifier.name}/${r.log}`;
      const cp = r.origin === origin ? await checkpointOf(r.checkpoint, verifier, origin) : null;
      if (!cp) fail(r.log, null, "checkpoint");
      let subjectMap = null;
      if (cp && r.subject_map != null) {
        const sm = await checkpointOf(r.subject_map, verifier, origin + "/subjects");
        if (!sm || sm.size !== cp.size) fail(r.log, null, "checkpoint");
        else subjectMap = sm;
      }
      const t = trusted.get(r.log);
      if (cp && t) {
        let ok = t.size <= cp.size;
        if (ok && t.size === cp.size) ok = same(t.root, cp.root);
        else if (ok) {
          const proof = r.consistency;
          ok = !!proof && proof.from_size === t.size && await verifyConsistency(t.size, cp.size, (proof.hashes || []).map(unhex), t.root, cp.root);
        }
        if (!ok) fail(r.log, null, "consistency");
      }
      log = { id: r.log, cp, sm: subjectMap, chains: new Map(), first: new Map(), lastIndex: new Map(), last: null, entries: 0, withheld: [], heads: [], proven: new Map() };
      logs.set(r.log, log);
      continue;
    }
    if (!log || log.id !== r.log) throw new Unusable(`a ${r.record} of log ${r.log} outside its group`);
    if (r.record === "head") { await checkHead(log, r, fail, partial); continue; }
    if (r.record === "range") continue;
    const before = failures.length, index = r.index, leaf = r.leaf, isRegistry = log.id === "operator";
    const computed = await leafHash(enc.encode(canonical(leaf)));
    if (hex(computed) !== r.leaf_hash) fail(log.id, index, "leaf-hash-mismatch");
    if (leaf.log !== log.id) fail(log.id, index, "leaf-log");
    const at = instant(leaf.integrated_at);
    if (log.last !== null && (index <= log.last.index || at < log.last.at)) fail(log.id, index, "order");
    log.last = { index, at };
    const registryCp = logs.get("operator").cp;
    if (isRegistry ? leaf.registry_size !== 0 : registryCp && leaf.registry_size > registryCp.size) fail(log.id, index, "registry-size");
    let covered = false;
    for (const g of ranges.get(log.id) || []) {
      if (g.start <= index && index < g.end) {
        covered = true;
        g.leaves.set(index, computed);
        if (index === g.start) g.firstAt = at;
        if (index === g.end - 1) g.lastAt = at;
      }
    }
    if (log.cp) {
      if (r.proof !== null) {
        const proof = r.proof.map(unhex);
        const root = proof.includes(null) ? null : await rootFromInclusion(index, log.cp.size, computed, proof);
        if (root === null || !same(root, log.cp.root)) fail(log.id, index, "inclusion");
      } else if (!covered) fail(log.id, index, "inclusion");
    }
    const known = log.chains.get(leaf.subject);
    if (!known) {
      log.first.set(leaf.subject, [leaf.version, index]);
      if (leaf.version === 1 && leaf.prev !== null) fail(log.id, index, "chain-prev");
    } else {
      if (leaf.version !== known[0] + 1) fail(log.id, index, "chain-version");
      if (leaf.prev !== known[1]) fail(log.id, index, "chain-prev");
    }
    log.chains.set(leaf.subject, [leaf.version, hex(computed)]);
    log.lastIndex.set(leaf.subject, index);
    let event = null;
    if (r.payload === null) {
      if (r.missing === "withheld") log.withheld.push(index);
      else if (isRegistry || !keyring.redactions.has(`${log.id}\n${index}`)) fail(log.id, index, "redaction-unproven");
    } else {
      const payload = b64(r.payload);
      if (hex(await sha256(payload)) !== leaf.payload_sha256) fail(log.id, index, "payload-hash-mismatch");
      event = readPayload(payload);
      if (event === null) fail(log.id, index, "payload-invalid");
      else {
        if (event.subject !== leaf.subject) fail(log.id, index, "leaf-subject");
        if (isRegistry ? !OPERATOR_EVENTS.has(event.type) : event.agency !== log.id) fail(log.id, index, "leaf-log");
      }
      const size = isRegistry ? index : leaf.registry_size;
      const genesis = isRegistry && index === 0 ? event : null;
      const refusal = leaf.signatures.map((s) => keyring.check(s.keyid, event, at, size, genesis)).find((x) => x !== null);
      if (refusal) fail(log.id, index, refusal);
      const message = concat(enc.encode(`DSSEv1 ${enc.encode(leaf.payload_type).length} ${leaf.payload_type} ${payload.length} `), payload);
      for (const s of leaf.signatures) {
        const publicKey = keyring.publicKey(s.keyid, size, genesis);
        if (publicKey) {
          const ok = await ed25519(publicKey, b64(s.sig) || new Uint8Array(), message);
          if (!ok) fail(log.id, index, "bad-signature");
        }
      }
    }
    log.entries++;
    if (failures.length === before && isRegistry && event) {
      keyring.learn(index, event);
    }
  }
  for (const [id, gs] of ranges) {
    const l = logs.get(id);
    if (!l || !l.cp) { if (!l) fail(id, null, "range"); continue; }
    for (const g of gs) {
      if (g.end > l.cp.size) { fail(id, g.start, "range"); continue; }
      let missing = null;
      for (let i = g.start; i < g.end && missing === null; i++) if (!g.leaves.has(i)) missing = i;
      if (missing !== null) { fail(id, missing, "missing-entry"); continue; }
      const proof = g.hashes.map(unhex);
      const root = proof.includes(null) ? null : await rangeRoot(l.cp.size, g.start, g.end, g.leaves, proof);
      if (root === null || !same(root, l.cp.root)) fail(id, g.start, "range");
      g.leaves.clear();
    }
  }
  if (!logs.has("operator")) throw new Unusable("the bundle holds no registry log");
  const claim = header.claim || {};
  const claimed = logs.get(claim.log);
  if (!claimed) fail(claim.log, null, "checkpoint");
  else if (claim.kind === "period") {
    const gs = ranges.get(claim.log) || [];
    if (!gs.length && !(claimed.cp && claimed.cp.size === 0)) fail(claim.log, null, "range");
    const from = claim.from == null ? -Infinity : Date.parse(`${claim.from}T00:00:00Z`);
    const to = claim.to == null ? Infinity : Date.parse(`${claim.to}T00:00:00Z`) + 86400000;
    for (const g of gs) {
      if (g.start > 0 && g.firstAt !== null && g.firstAt >= from) fail(claim.log, g.start - 1, "missing-entry");
      if (claimed.cp && g.end < claimed.cp.size && g.lastAt !== null && g.lastAt < to) fail(claim.log, g.end, "missing-entry");
    }
  } else {
    const subjects = claim.kind === "complaint" ? [claim.complaint] : claim.subjects || [];
    for (const s of subjects) {
      if (claimed.heads.includes(s)) continue; // its head record's check said what it proved
      const first = claimed.first.get(s);
      if (first && first[0] > 1) fail(claim.log, first[1], "missing-entry");
      partial.push(`the head of ${s} in log ${claim.log} is not proven: the bundle has no head record of it`);
    }
    const unproven = Array.from(claimed.first.keys()).filter((s) => !claimed.heads.includes(s) && !subjects.includes(s));
    if (unproven.length) partial.push(`log ${claim.log}: the chains of ${unproven.length} context subject(s) are not proven whole (no head record)`);
  }
  for (const l of logs.values()) {
    if (l.withheld.length) partial.push(`log ${l.id}: ${l.withheld.length} payload(s) withheld`);
  }
  for (const id of trusted.keys()) if (!logs.has(id)) partial.push(`the trusted checkpoint of log ${id}: no such log`);
  failures.sort((a, b) => (a.log || "").localeCompare(b.log || "") || (a.index ?? -1) - (b.index ?? -1) || a.reason.localeCompare(b.reason));
  const verdict = failures.length ? "failed" : partial.length ? "partial" : "complete";
  const entries = Array.from(logs.values()).reduce((n, l) => n + l.entries, 0);
  return { verdict, failures, partial, entries, logs: Array.from(logs.values()).map((l) => ({ log: l.id, size: l.cp ? l.cp.size : null })) };
}

const VERDICTS = { complete: "VERIFIED, COMPLETE", partial: "VERIFIED, PARTIAL", failed: "FAILED" };

async function run() {
  const out = document.getElementById("verdict");
  const list = document.getElementById("failures");
  const summary = document.getElementById("summary");
  list.textContent = "";
  summary.textContent = "";
  out.textContent = "…";
  delete out.dataset.verdict;
  try {
    const text = await document.getElementById("bundle").files[0].text();
    const key = document.getElementById("log-key").value.trim() ||
      (await (await fetch("/v1/log-key")).text()).trim();
    const trusted = [];
    for (const f of document.getElementById("trusted").files) trusted.push(await f.text());
    const item = (reason, index, log) => {
      const li = document.createElement("li");
      li.dataset.reason = reason;
      li.dataset.index = index === null ? "" : String(index);
      if (log !== undefined) li.dataset.log = log || "";
      li.textContent = (log ? `${log} ` : "") + (index === null ? reason : `${reason} @ #${index}`);
      list.appendChild(li);
    };
    if (text.includes('"jejak-bundle/2"')) {
      const result = await verifyBundle2(text, key, trusted);
      out.textContent = VERDICTS[result.verdict];
      out.dataset.verdict = result.verdict;
      out.className = result.verdict === "failed" ? "bad" : "ok";
      for (const f of result.failures) item(f.reason, f.index, f.log);
      for (const reason of result.partial) {
        const li = document.createElement("li");
        li.dataset.partial = "";
        li.textContent = "not established: " + reason;
        list.appendChild(li);
      }
      summary.textContent = `${result.entries} entries; ` +
        result.logs.map((l) => `${l.log} checkpoint ${l.size ?? "—"}`).join("; ") + "; rules not replayed here (jejak verify replays them)";
      return;
    }
    if (trusted.length > 1) throw new Error("a jejak-bundle/1 is checked against one trusted checkpoint");
    const result = await verifyBundle1(JSON.parse(text), key, trusted[0] || null);
    out.textContent = result.ok ? "VERIFIED" : "FAILED";
    out.dataset.verdict = result.ok ? "verified" : "failed";
    out.className = result.ok ? "ok" : "bad";
    for (const f of result.failures) item(f.reason, f.index);
    summary.textContent = `${result.entries} entries; checkpoint ${result.checkpoint ? result.checkpoint.size : "—"}`;
  } catch (error) {
    out.textContent = "UNUSABLE: " + error.message;
    out.dataset.verdict = "unusable";
  }
}

if (typeof document !== "undefined") {
  document.getElementById("verify-form").addEventListener("submit", (event) => {
    event.preventDefault();
    run();
  });
}
if (typeof module !== "undefined") module.exports = { verifyBundle1, verifyBundle2, verifySubjectProof, ProofError, readLayout, Unusable };
