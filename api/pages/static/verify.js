// Jejak bundle verifier in the browser: a second, independent implementation of the
// cryptographic checks of `jejak verify` (jejak-bundle/1), with WebCrypto Ed25519 and SHA-256.
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

async function verifyBundle(bundle, verifierKey, trustedNote) {
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

async function run() {
  const out = document.getElementById("verdict");
  const list = document.getElementById("failures");
  list.textContent = "";
  out.textContent = "…";
  try {
    const file = document.getElementById("bundle").files[0];
    const bundle = JSON.parse(await file.text());
    const key = document.getElementById("log-key").value.trim() ||
      (await (await fetch("/v1/log-key")).text()).trim();
    const trustedFile = document.getElementById("trusted").files[0];
    const trusted = trustedFile ? await trustedFile.text() : null;
    const result = await verifyBundle(bundle, key, trusted);
    out.textContent = result.ok ? "VERIFIED" : "FAILED";
    out.dataset.verdict = result.ok ? "verified" : "failed";
    out.className = result.ok ? "ok" : "bad";
    for (const f of result.failures) {
      const li = document.createElement("li");
      li.dataset.reason = f.reason;
      li.dataset.index = f.index === null ? "" : String(f.index);
      li.textContent = f.index === null ? f.reason : `${f.reason} @ #${f.index}`;
      list.appendChild(li);
    }
    document.getElementById("summary").textContent =
      `${result.entries} entries; checkpoint ${result.checkpoint ? result.checkpoint.size : "—"}`;
  } catch (error) {
    out.textContent = "UNUSABLE: " + error.message;
    out.dataset.verdict = "unusable";
  }
}

document.getElementById("verify-form").addEventListener("submit", (event) => {
  event.preventDefault();
  run();
});
