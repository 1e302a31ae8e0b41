// Sulh protection card verifier: runs entirely in the browser, offline once loaded.
//
// The rules mirror sulh/cards/verify.py, keys.py and status.py (docs/card-format.md):
//   "SULH1:" + Base45(zlib(COSE_Sign1 tag 18 [protected, {}, payload, r||s]))
// checked against a trust list and a status list signed by the program's root key.
//
// The first half of this module is the verifier (no DOM; exported so that tests can
// call it); the second half wires it to the page when the page is there.
// Nothing here writes card contents to the console, to storage or to the network.

export const PREFIX = "SULH1:";
export const MAX_TEXT = 4096;
export const MAX_INFLATED = 4096;
export const MAX_STATUS_BYTES = 1 << 22; // as status.py: 16 million cards at two bits each
const TRUST_LIST_FORMAT = "sulh-trust-list/2";
const STATUS_LIST_FORMAT = "sulh-status-list/1";
const MAX_CBOR_DEPTH = 64;

// COSE and CWT numbers (format.py).
const ALG_ES256 = -7;
const HEADER_ALG = 1;
const HEADER_KID = 4;
const CLAIM_EXP = 4;
const CLAIM_NBF = 5;
const CLAIM_IAT = 6;
const CLAIM_CTI = 7;
const CLAIM_CARD = -70001;
const COSE_SIGN1_TAG = 18;

export const Verdict = Object.freeze({
  VALID: "VALID",
  EXPIRED: "EXPIRED",
  NOT_YET_VALID: "NOT YET VALID",
  REVOKED: "REVOKED",
  SUSPENDED: "SUSPENDED",
  UNKNOWN_KEY: "UNKNOWN KEY",
  FORGED: "FORGED",
  MALFORMED: "MALFORMED",
  // About the lists, not the card: never VALID without the pinned root and current lists.
  UNTRUSTED_ROOT: "UNTRUSTED ROOT",
  TRUST_STALE: "TRUST STALE",
  STATUS_UNKNOWN: "STATUS UNKNOWN",
  STATUS_STALE: "STATUS STALE",
});

// An error that carries a message key (translated by the page) and its parameters.
export class Refusal extends Error {
  constructor(key, params = {}) {
    super(key);
    this.key = key;
    this.params = params;
  }
}

// ---------------------------------------------------------------------------
// Bytes and text helpers

const utf8 = new TextEncoder();

function concat(chunks) {
  let size = 0;
  for (const chunk of chunks) size += chunk.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

export function toHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// base64url without padding (keys.py b64u / unb64u); strict: anything else is refused.
export function unb64u(text) {
  if (typeof text !== "string" || !/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) {
    throw new Refusal("bad_base64");
  }
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
  const binary = atob(b64);
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

// ---------------------------------------------------------------------------
// Base45 (RFC 9285), as base45.py, with the same checks in the same order.

const B45_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
const B45_VALUE = new Map(Array.from(B45_ALPHABET, (ch, i) => [ch, i]));

export function b45decode(text) {
  const values = [];
  for (const ch of text) {
    const value = B45_VALUE.get(ch);
    if (value === undefined) throw new Refusal("b45_char", { char: JSON.stringify(ch) });
    values.push(value);
  }
  if (values.length % 3 === 1) throw new Refusal("b45_length");
  const full = values.length - (values.length % 3);
  const out = new Uint8Array((full / 3) * 2 + (full < values.length ? 1 : 0));
  for (let i = 0, o = 0; i < full; i += 3, o += 2) {
    const n = values[i] + values[i + 1] * 45 + values[i + 2] * 2025;
    if (n > 0xffff) throw new Refusal("b45_triple");
    out[o] = n >> 8;
    out[o + 1] = n & 0xff;
  }
  if (full < values.length) {
    const n = values[full] + values[full + 1] * 45;
    if (n > 0xff) throw new Refusal("b45_pair");
    out[out.length - 1] = n;
  }
  return out;
}

// ---------------------------------------------------------------------------
// zlib inflate with a size cap, by the browser's own DecompressionStream.
// Returns the bytes, or throws Refusal("zlib_bomb") / Refusal("zlib_damaged").
// Reading stops as soon as the output passes `limit`, so a bomb costs one chunk.
// (Unlike Python's zlib, browsers also refuse bytes after the end of the stream.)

export async function inflate(bytes, limit) {
  if (typeof DecompressionStream === "undefined") throw new Refusal("no_decompression");
  const stream = new DecompressionStream("deflate");
  const writer = stream.writable.getWriter();
  // Not awaited: the readable side must be drained for the write to finish. Their
  // rejections (damaged input, or our cancel) are reported by the reader below.
  writer.write(bytes).catch(() => {});
  writer.close().catch(() => {});
  const reader = stream.readable.getReader();
  const chunks = [];
  let size = 0;
  for (;;) {
    let step;
    try {
      step = await reader.read();
    } catch {
      throw new Refusal("zlib_damaged");
    }
    if (step.done) break;
    size += step.value.length;
    if (size > limit) {
      reader.cancel().catch(() => {});
      throw new Refusal("zlib_bomb", { n: limit });
    }
    chunks.push(step.value);
  }
  return concat(chunks);
}

// ---------------------------------------------------------------------------
// A small CBOR decoder (RFC 8949): integers, byte and text strings (also of
// indefinite length), arrays, maps, tags, simple values and floats. Lengths are
// checked against the bytes left before anything is allocated, and nesting is
// bounded. As cbor2.loads, bytes after the first item are ignored.

export class Tagged {
  constructor(tag, value) {
    this.tag = tag;
    this.value = value;
  }
}

class CborError extends Error {}

const utf8Strict = new TextDecoder("utf-8", { fatal: true });

class CborReader {
  constructor(bytes) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.at = 0;
  }

  need(n) {
    if (n > this.bytes.length - this.at) throw new CborError("truncated");
  }

  byte() {
    this.need(1);
    return this.bytes[this.at++];
  }

  // The argument of a head: a Number when it is a safe integer, else a BigInt;
  // null for the indefinite length (info 31).
  argument(info) {
    if (info < 24) return info;
    let value;
    if (info === 24) {
      value = this.byte();
    } else if (info === 25) {
      this.need(2);
      value = this.view.getUint16(this.at);
      this.at += 2;
    } else if (info === 26) {
      this.need(4);
      value = this.view.getUint32(this.at);
      this.at += 4;
    } else if (info === 27) {
      this.need(8);
      const big = this.view.getBigUint64(this.at);
      this.at += 8;
      value = big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
    } else if (info === 31) {
      return null;
    } else {
      throw new CborError("reserved additional information");
    }
    return value;
  }

  // A definite length, bounded by what is left (each element takes at least `per` bytes).
  length(info, per) {
    const n = this.argument(info);
    if (typeof n !== "number" || n * per > this.bytes.length - this.at) {
      throw new CborError("length beyond the data");
    }
    return n;
  }

  chunks(major, depth) {
    // Indefinite-length string: definite chunks of the same major type until 0xff.
    const parts = [];
    for (;;) {
      const head = this.byte();
      if (head === 0xff) return parts;
      if (head >> 5 !== major || (head & 0x1f) === 31) throw new CborError("bad chunk");
      parts.push(this.string(major, head & 0x1f, depth));
    }
  }

  string(major, info) {
    const n = this.length(info, 1);
    const raw = this.bytes.slice(this.at, this.at + n);
    this.at += n;
    if (major === 2) return raw;
    try {
      return utf8Strict.decode(raw);
    } catch {
      throw new CborError("invalid UTF-8");
    }
  }

  item(depth) {
    if (depth > MAX_CBOR_DEPTH) throw new CborError("nested too deep");
    const head = this.byte();
    const major = head >> 5;
    const info = head & 0x1f;
    switch (major) {
      case 0: {
        const n = this.argument(info);
        if (n === null) throw new CborError("indefinite integer");
        return n;
      }
      case 1: {
        const n = this.argument(info);
        if (n === null) throw new CborError("indefinite integer");
        if (typeof n === "number" && n < Number.MAX_SAFE_INTEGER) return -1 - n;
        return -1n - BigInt(n);
      }
      case 2:
      case 3: {
        if (info !== 31) return this.string(major, info);
        const parts = this.chunks(major, depth);
        return major === 2 ? concat(parts) : parts.join("");
      }
      case 4: {
        const out = [];
        if (info === 31) {
          while (this.peekNotBreak()) out.push(this.item(depth + 1));
          return out;
        }
        const n = this.length(info, 1);
        for (let i = 0; i < n; i++) out.push(this.item(depth + 1));
        return out;
      }
      case 5: {
        // Keys: numbers and strings are looked up by value (a JS Map compares them so);
        // other keys are kept but cannot be looked up, which nothing here needs.
        const out = new Map();
        if (info === 31) {
          while (this.peekNotBreak()) out.set(this.item(depth + 1), this.item(depth + 1));
          return out;
        }
        const n = this.length(info, 2);
        for (let i = 0; i < n; i++) out.set(this.item(depth + 1), this.item(depth + 1));
        return out;
      }
      case 6: {
        const tag = this.argument(info);
        if (tag === null) throw new CborError("indefinite tag");
        const value = this.item(depth + 1);
        if ((tag === 2 || tag === 3) && value instanceof Uint8Array) {
          // Bignums, as cbor2 decodes them.
          let big = value.length ? BigInt("0x" + toHex(value)) : 0n;
          if (tag === 3) big = -1n - big;
          const safe =
            big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER);
          return safe ? Number(big) : big;
        }
        return new Tagged(tag, value);
      }
      default:
        return this.simple(info);
    }
  }

  peekNotBreak() {
    this.need(1);
    if (this.bytes[this.at] === 0xff) {
      this.at++;
      return false;
    }
    return true;
  }

  simple(info) {
    if (info === 20) return false;
    if (info === 21) return true;
    if (info === 22) return null;
    if (info === 23) return undefined;
    if (info === 25) {
      this.need(2);
      const half = this.view.getUint16(this.at);
      this.at += 2;
      const exponent = (half >> 10) & 0x1f;
      const fraction = half & 0x3ff;
      let value;
      if (exponent === 0) value = fraction * 2 ** -24;
      else if (exponent === 31) value = fraction ? NaN : Infinity;
      else value = (1 + fraction / 1024) * 2 ** (exponent - 15);
      return half & 0x8000 ? -value : value;
    }
    if (info === 26) {
      this.need(4);
      const value = this.view.getFloat32(this.at);
      this.at += 4;
      return value;
    }
    if (info === 27) {
      this.need(8);
      const value = this.view.getFloat64(this.at);
      this.at += 8;
      return value;
    }
    if (info < 24) return new Tagged("simple", info);
    if (info === 24) return new Tagged("simple", this.byte());
    throw new CborError(info === 31 ? "unexpected break" : "reserved simple value");
  }
}

export function cborDecode(bytes) {
  return new CborReader(bytes).item(0);
}

// ---------------------------------------------------------------------------
// Canonical JSON, byte for byte as Python's
//   json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
// Keys sort by code point (as Python sorts str), not by UTF-16 unit (as JS sorts).
// JSON.stringify escapes strings as Python does (same short escapes, \u00xx in
// lower case for other controls, everything else raw), except lone surrogates,
// which Python cannot encode to UTF-8 either: refused. JSON numbers lose the
// int/float distinction in JS, so only integers are accepted (signed lists hold no
// other numbers).

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function compareCodePoints(a, b) {
  const x = Array.from(a, (c) => c.codePointAt(0));
  const y = Array.from(b, (c) => c.codePointAt(0));
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return x[i] - y[i];
  }
  return x.length - y.length;
}

function jsonString(text) {
  if (LONE_SURROGATE.test(text)) throw new Refusal("list_malformed");
  return JSON.stringify(text);
}

export function canonicalJson(value) {
  if (value === null || value === true || value === false) return String(value);
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw new Refusal("list_malformed");
    return String(value);
  }
  if (typeof value === "string") return jsonString(value);
  if (Array.isArray(value)) return "[" + value.map(canonicalJson).join(",") + "]";
  if (typeof value === "object") {
    const keys = Object.keys(value).sort(compareCodePoints);
    return "{" + keys.map((k) => jsonString(k) + ":" + canonicalJson(value[k])).join(",") + "}";
  }
  throw new Refusal("list_malformed");
}

// ---------------------------------------------------------------------------
// ES256 with WebCrypto: public keys are uncompressed P-256 points ("raw"), and
// WebCrypto's ECDSA signature format is r || s, as COSE and our lists use.

const ECDSA_P256 = { name: "ECDSA", namedCurve: "P-256" };

export async function importPublicKey(point) {
  if (!globalThis.crypto || !globalThis.crypto.subtle) throw new Refusal("no_webcrypto");
  try {
    return await crypto.subtle.importKey("raw", point, ECDSA_P256, false, ["verify"]);
  } catch {
    throw new Refusal("list_malformed");
  }
}

export async function verifyES256(key, signature, message) {
  // Without WebCrypto (plain HTTP) there is no answer, which must not read as "forged".
  if (!globalThis.crypto || !globalThis.crypto.subtle) throw new Refusal("no_webcrypto");
  if (signature.length !== 64) return false;
  try {
    return await crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key, signature, message);
  } catch {
    return false;
  }
}

// ISO 8601 as Python's datetime.isoformat() writes it, to microseconds since 1970
// (exact in a double), so that comparisons agree with Python's to the microsecond.
// Without an offset the time is read as UTC.
const ISO =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?(Z|[+-]\d{2}:?\d{2})?$/;

export function isoToMicros(text) {
  const m = typeof text === "string" ? ISO.exec(text) : null;
  if (!m) throw new Refusal("list_malformed");
  const [, y, mo, d, h, mi, s = "0", frac = "", zone = "Z"] = m;
  let ms = Date.UTC(+y, +mo - 1, +d, +h, +mi, +s);
  if (Number.isNaN(ms)) throw new Refusal("list_malformed");
  if (zone !== "Z") {
    const sign = zone[0] === "-" ? -1 : 1;
    const digits = zone.slice(1).replace(":", "");
    ms -= sign * (+digits.slice(0, 2) * 60 + +digits.slice(2)) * 60000;
  }
  return ms * 1000 + Number(frac.padEnd(6, "0"));
}

function isPlainObject(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function withoutSignature(document) {
  const body = {};
  for (const [k, v] of Object.entries(document)) if (k !== "signature") body[k] = v;
  return body;
}

// ---------------------------------------------------------------------------
// Trust list (trust.py trust_list_load): signed by the pinned root (the page has it built
// in; a list naming another root is refused), then the station keys by kid, the program
// names, the sequence and the expiry.

function sequenceOf(value) {
  if (!Number.isSafeInteger(value) || value < 0) throw new Refusal("list_malformed");
  return value;
}

// {"<program code>": {...}} as a Map from the code to `read(entry)`; anything else is refused.
function byProgram(given, read) {
  const out = new Map();
  if (!isPlainObject(given ?? {})) throw new Refusal("list_malformed");
  for (const [code, entry] of Object.entries(given ?? {})) {
    if (!/^\s*[+-]?\d+\s*$/.test(code) || !isPlainObject(entry)) {
      throw new Refusal("list_malformed");
    }
    out.set(Number.parseInt(code, 10), read(entry));
  }
  return out;
}

export async function loadTrustList(document, pinnedRoot) {
  if (!(pinnedRoot instanceof Uint8Array) || pinnedRoot.length === 0) {
    throw new Refusal("no_pinned_root");
  }
  if (!isPlainObject(document)) throw new Refusal("list_malformed");
  const body = withoutSignature(document);
  const rootPublicKey = unb64u(body.root_public_key);
  if (toHex(rootPublicKey) !== toHex(pinnedRoot)) throw new Refusal("untrusted_root");
  const root = await importPublicKey(pinnedRoot);
  if (body.format !== TRUST_LIST_FORMAT) throw new Refusal("trust_not_sulh");
  const signature = unb64u(document.signature);
  if (!(await verifyES256(root, signature, utf8.encode(canonicalJson(body))))) {
    throw new Refusal("list_bad_signature");
  }
  if (!Array.isArray(body.keys)) throw new Refusal("list_malformed");
  const keys = new Map();
  for (const entry of body.keys) {
    if (!isPlainObject(entry) || typeof entry.station !== "string") {
      throw new Refusal("list_malformed");
    }
    keys.set(toHex(unb64u(entry.kid)), {
      station: entry.station,
      publicKey: await importPublicKey(unb64u(entry.public_key)),
      notBefore: isoToMicros(entry.not_before),
      notAfter: isoToMicros(entry.not_after),
    });
  }
  const programs = new Map();
  const listed = body.programs ?? {};
  if (!isPlainObject(listed)) throw new Refusal("list_malformed");
  for (const [code, name] of Object.entries(listed)) {
    if (!/^\s*[+-]?\d+\s*$/.test(code)) throw new Refusal("list_malformed");
    programs.set(Number.parseInt(code, 10), String(name));
  }
  // Validity extensions by program: cards issued before `issuedBefore` stay valid,
  // past their own expiry, until `validUntil` (both in microseconds).
  const extensions = byProgram(body.extensions, (entry) => ({
    issuedBefore: isoToMicros(entry.issued_before),
    validUntil: isoToMicros(entry.valid_until),
  }));
  // What checkpoints apply to each program's cards (trust.py ProgramPolicy): the time zone
  // its times are shown in, the freshness rule for status lists, what the card grants.
  const policies = byProgram(body.policies, policyOf);
  // Status lists are signed by the publication key the root certifies here (the root
  // itself stays offline); a list without one has them signed by the root.
  const statusSigner =
    typeof body.publication_key === "string"
      ? await importPublicKey(unb64u(body.publication_key))
      : root;
  return {
    keys,
    programs,
    extensions,
    policies,
    rootPublicKey,
    root,
    statusSigner,
    issuedAt: typeof body.issued_at === "string" ? body.issued_at : "",
    sequence: sequenceOf(body.sequence),
    expiresAt: isoToMicros(body.expires_at),
  };
}

export const STATUS_MAX_AGE_HOURS = 24; // trust.py: a program's rule when the list names none
const DEFAULT_POLICY = Object.freeze({
  timezone: "UTC",
  statusMaxAgeHours: STATUS_MAX_AGE_HOURS,
  grants: null,
});

function knownZone(zone) {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function policyOf(entry) {
  const hours = entry.status_max_age_hours ?? STATUS_MAX_AGE_HOURS;
  if (!Number.isSafeInteger(hours) || hours < 1) throw new Refusal("list_malformed");
  const zone = typeof entry.timezone === "string" && knownZone(entry.timezone) ? entry.timezone : "UTC";
  const grants = isPlainObject(entry.grants)
    ? { ar: String(entry.grants.ar ?? ""), en: String(entry.grants.en ?? "") }
    : null;
  return { timezone: zone, statusMaxAgeHours: hours, grants };
}

export function policyFor(trust, program) {
  return (trust.policies && trust.policies.get(program)) || DEFAULT_POLICY;
}

// Status list (status.py status_list_load), checked against the trust list's status
// signer (its certified publication key, or the root).
export async function loadStatusList(document, root) {
  if (!isPlainObject(document)) throw new Refusal("list_malformed");
  const body = withoutSignature(document);
  const signature = unb64u(document.signature);
  if (!(await verifyES256(root, signature, utf8.encode(canonicalJson(body))))) {
    throw new Refusal("status_bad_signature");
  }
  if (body.format !== STATUS_LIST_FORMAT) throw new Refusal("list_malformed");
  const list = body.status_list;
  if (!isPlainObject(list) || list.bits !== 2) throw new Refusal("list_malformed");
  let data;
  try {
    data = await inflate(unb64u(list.lst), MAX_STATUS_BYTES);
  } catch (error) {
    throw new Refusal(error.key === "zlib_bomb" ? "status_too_large" : "list_malformed");
  }
  return {
    data,
    issuedAt: typeof body.issued_at === "string" ? body.issued_at : "",
    sequence: sequenceOf(body.sequence),
    expiresAt: isoToMicros(body.expires_at),
  };
}

// 0 valid, 1 revoked, 2 suspended; null when the index is outside the list.
export function statusAt(status, index) {
  const byte = Math.floor((index * 2) / 8);
  if (index < 0 || byte >= status.data.length) return null;
  return (status.data[byte] >> ((index * 2) % 8)) & 0b11;
}

// ---------------------------------------------------------------------------
// The verdict (verify.py verify_card), step by step in the same order.

function result(verdict, key, params = {}, holder = null, card = null) {
  return { verdict, message: { key, params }, holder, card };
}

function malformed(key, params = {}) {
  return result(Verdict.MALFORMED, key, params);
}

// Python's int() of a claim, for numbers (a card never carries anything else here).
function claimInt(value) {
  if (typeof value === "number" && Number.isFinite(value)) return Math.trunc(value);
  throw new CborError("not an integer");
}

// Seconds since 1970 as a time Python's datetime can hold (years 1 to 9999).
function claimTime(value) {
  if (typeof value !== "number" || !(Math.abs(value) < 253402300800)) {
    throw new CborError("not a time");
  }
  return value;
}

// str() of a text claim as Python shows it.
function claimText(value) {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "bigint") return String(value);
  if (value === null) return "None";
  if (typeof value === "boolean") return value ? "True" : "False";
  throw new CborError("not text");
}

const iso88596 = (() => {
  try {
    return new TextDecoder("iso-8859-6", { fatal: true });
  } catch {
    return null;
  }
})();

// Arabic names travel as ISO-8859-6 bytes, or as UTF-8 text outside it (format.py).
function decodeArabic(value) {
  if (value instanceof Uint8Array) {
    if (!iso88596) throw new CborError("no ISO-8859-6 decoder");
    return iso88596.decode(value);
  }
  return claimText(value);
}

async function unwrap(text) {
  if (Array.from(text).length > MAX_TEXT) return malformed("too_long", { n: MAX_TEXT });
  if (!text.startsWith(PREFIX)) {
    const other = text.slice(0, 8).includes(":") ? text.split(":", 1)[0] : "";
    return other ? malformed("other_scheme", { scheme: other }) : malformed("bad_prefix");
  }
  let compressed;
  try {
    compressed = b45decode(text.slice(PREFIX.length));
  } catch (error) {
    return malformed(error.key, error.params);
  }
  try {
    return await inflate(compressed, MAX_INFLATED);
  } catch (error) {
    // A browser without DecompressionStream cannot judge the card: not a verdict.
    if (error instanceof Refusal && error.key !== "no_decompression") {
      return malformed(error.key, error.params);
    }
    throw error;
  }
}

function cose(message) {
  let decoded;
  try {
    decoded = cborDecode(message);
  } catch {
    return malformed("not_cbor");
  }
  if (decoded instanceof Tagged) {
    if (decoded.tag !== COSE_SIGN1_TAG) return malformed("not_cose_message");
    decoded = decoded.value;
  }
  if (!(Array.isArray(decoded) && decoded.length === 4)) return malformed("not_cose");
  const [protectedBytes, , payload, signature] = decoded;
  if (![protectedBytes, payload, signature].every((x) => x instanceof Uint8Array)) {
    return malformed("not_cose");
  }
  let header;
  try {
    header = protectedBytes.length ? cborDecode(protectedBytes) : new Map();
  } catch {
    return result(Verdict.FORGED, "header_damaged");
  }
  if (!(header instanceof Map)) return result(Verdict.FORGED, "header_damaged");
  return { protectedBytes, header, payload, signature };
}

// ["Signature1", protected, h'', payload] in canonical CBOR (format.py sig_structure).
function bstrHead(n) {
  if (n < 24) return [0x40 | n];
  if (n < 0x100) return [0x58, n];
  if (n < 0x10000) return [0x59, n >> 8, n & 0xff];
  return [0x5a, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
}

export function sigStructure(protectedBytes, payload) {
  return concat([
    Uint8Array.of(0x84, 0x6a, ...utf8.encode("Signature1")),
    Uint8Array.from(bstrHead(protectedBytes.length)),
    protectedBytes,
    Uint8Array.of(0x40),
    Uint8Array.from(bstrHead(payload.length)),
    payload,
  ]);
}

function readClaims(payload, key, trust) {
  try {
    const claims = cborDecode(payload);
    if (!(claims instanceof Map)) throw new CborError("not a map");
    const body = claims.get(CLAIM_CARD);
    if (!Array.isArray(body) || body.length < 5) throw new CborError("not a card");
    const cti = claims.get(CLAIM_CTI);
    if (!(cti instanceof Uint8Array)) throw new CborError("no card id");
    const issuedAt = claimTime(claims.get(CLAIM_IAT));
    const program = claimInt(body[0]);
    const card = {
      cardId: toHex(cti),
      program: trust.programs.get(program) ?? `program ${program}`,
      station: key.station,
      issuedAt,
      validFrom: claimTime(claims.has(CLAIM_NBF) ? claims.get(CLAIM_NBF) : issuedAt),
      validUntil: claimTime(claims.get(CLAIM_EXP)),
      statusIndex: claimInt(body[1]),
      programCode: program,
    };
    const holder = {
      nameAr: decodeArabic(body[2]),
      nameLat: claimText(body[3]),
      birthYear: body[4] === null || typeof body[4] === "number" ? body[4] : claimText(body[4]),
    };
    if (body.length > 5) {
      // The holder's face (a small WebP or JPEG), signed with the rest: it ties the card
      // to the face in front of the checkpoint (format.py, sulh/cards/photo.py).
      if (!(body[5] instanceof Uint8Array)) throw new CborError("the face is not bytes");
      holder.photo = body[5];
    }
    return { holder, card };
  } catch {
    return null;
  }
}

// The date as the command line prints it (UTC).
export function utcDate(seconds) {
  return new Date(seconds * 1000).toISOString().slice(0, 10);
}

// The zones' names in the page's language ("Damascus time"), as the staff pages name them:
// filled from the page's messages ("zone:Asia/Damascus").
const ZONE_NAMES = new Map();

export function nameZones(messages) {
  for (const [key, name] of Object.entries(messages || {})) {
    if (key.startsWith("zone:")) ZONE_NAMES.set(key.slice(5), name);
  }
}

// A time in a program's zone, day first as on the staff pages, the zone named:
// "06/12/2026 03:26 Damascus time" (a zone without a name: "(Asia/Damascus, UTC+03:00)");
// with `dateOnly`, the day there ("06/12/2026").
export function zonedText(micros, zone = "UTC", dateOnly = false) {
  const parts = {};
  const format = new Intl.DateTimeFormat("en-US", {
    timeZone: knownZone(zone) ? zone : "UTC",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
    timeZoneName: "longOffset",
  });
  for (const part of format.formatToParts(new Date(micros / 1000))) parts[part.type] = part.value;
  const day = `${parts.day}/${parts.month}/${parts.year}`;
  if (dateOnly) return day;
  const shown = knownZone(zone) ? zone : "UTC";
  const offset = (parts.timeZoneName || "GMT").replace("GMT", "UTC");
  const named = ZONE_NAMES.get(shown) || (shown === "UTC" ? "(UTC)" : `(${zone}, ${offset})`);
  return `${day} ${parts.hour}:${parts.minute} ${named}`;
}

function zonedDate(seconds, zone) {
  return zonedText(seconds * 1e6, zone, true);
}

function claimsVerdict(payload, key, trust, status, nowMs) {
  const read = readClaims(payload, key, trust);
  if (read === null) return malformed("not_claims");
  const { holder, card } = read;
  const policy = policyFor(trust, card.programCode);
  const zone = policy.timezone;
  card.timezone = zone;
  const issuedMicros = card.issuedAt * 1e6;
  if (!(key.notBefore <= issuedMicros && issuedMicros <= key.notAfter)) {
    return result(Verdict.FORGED, "outside_key", {}, holder, card);
  }
  // An old or stolen station key cannot mint a card that outlives it.
  if (card.validUntil * 1e6 > key.notAfter) {
    return result(Verdict.FORGED, "outside_key", {}, holder, card);
  }
  if (nowMs < card.validFrom * 1000) {
    return result(
      Verdict.NOT_YET_VALID,
      "valid_from",
      { date: zonedDate(card.validFrom, zone) },
      holder,
      card,
    );
  }
  if (nowMs > card.validUntil * 1000) {
    // Past its own expiry, a card lives on only under its program's extension.
    const extension = trust.extensions.get(card.programCode);
    if (
      !extension ||
      issuedMicros > extension.issuedBefore ||
      nowMs * 1000 > extension.validUntil
    ) {
      return result(
        Verdict.EXPIRED,
        "expired_on",
        { date: zonedDate(card.validUntil, zone) },
        holder,
        card,
      );
    }
    card.validUntil = extension.validUntil / 1e6;
    card.extended = true;
  }
  if (!status) return result(Verdict.STATUS_UNKNOWN, "status_unknown", {}, holder, card);
  const state = statusAt(status, card.statusIndex);
  if (state === null) return result(Verdict.UNKNOWN_KEY, "index_missing", {}, holder, card);
  if (state === 1) return result(Verdict.REVOKED, "revoked", {}, holder, card);
  if (state === 2) return result(Verdict.SUSPENDED, "suspended", {}, holder, card);
  // State 3 is not defined: never call such a card valid.
  if (state !== 0) return result(Verdict.UNKNOWN_KEY, "unknown_state", {}, holder, card);
  const ageHours = statusAgeHours(status, nowMs);
  if (status.expiresAt !== undefined && nowMs * 1000 > status.expiresAt) {
    const date = zonedText(status.expiresAt, zone);
    const stale = result(Verdict.STATUS_STALE, "status_expired", { date }, holder, card);
    stale.statusAge = { hours: ageHours, maxHours: policy.statusMaxAgeHours };
    return stale;
  }
  const valid = card.extended ? "valid_until_extended" : "valid_until";
  const out = result(Verdict.VALID, valid, { date: zonedDate(card.validUntil, zone) }, holder, card);
  // The program's freshness rule: past it a valid card shows in amber, never plain green.
  if (ageHours !== null && ageHours > policy.statusMaxAgeHours) {
    out.statusAge = { hours: ageHours, maxHours: policy.statusMaxAgeHours };
  }
  return out;
}

// Whole hours since the status list was signed (null when it names no time).
export function statusAgeHours(status, nowMs) {
  let signed;
  try {
    signed = isoToMicros(status.issuedAt);
  } catch {
    return null;
  }
  return Math.max(0, Math.floor((nowMs * 1000 - signed) / 3.6e9));
}

// The verdict for a card text. `trust` from loadTrustList, `status` from
// loadStatusList or null (then the verdict is STATUS UNKNOWN), `now` in ms since 1970.
export async function verifyCard(text, { trust, status = null, now = Date.now() }) {
  text = String(text).trim();
  if (trust.expiresAt !== undefined && now * 1000 > trust.expiresAt) {
    return result(Verdict.TRUST_STALE, "trust_expired", {
      date: zonedText(trust.expiresAt, listZone(trust)),
    });
  }
  const message = await unwrap(text);
  if (!(message instanceof Uint8Array)) return message;
  const parts = cose(message);
  if (parts.verdict) return parts;
  const { protectedBytes, header, payload, signature } = parts;
  const kid = header.get(HEADER_KID);
  if (header.get(HEADER_ALG) !== ALG_ES256) return result(Verdict.FORGED, "not_es256");
  const key = kid instanceof Uint8Array ? trust.keys.get(toHex(kid)) : undefined;
  if (!key) return result(Verdict.UNKNOWN_KEY, "unknown_key");
  if (!(await verifyES256(key.publicKey, signature, sigStructure(protectedBytes, payload)))) {
    return result(Verdict.FORGED, "bad_signature");
  }
  return claimsVerdict(payload, key, trust, status, now);
}

// The camera's stream shown in `video`, and given back (its tracks stopped).
export async function showVideo(video, stream) {
  video.srcObject = stream;
  video.hidden = false;
  try {
    await video.play();
  } catch {
    // Autoplay refused: the frames still arrive for the canvas on most browsers.
  }
}

export function cameraOff(session, video) {
  clearTimeout(session.timer);
  for (const track of session.stream.getTracks()) track.stop();
  video.srcObject = null;
  video.hidden = true;
}

// Reads the camera's frames (at most 800 px wide) for a QR code every 150 ms while
// `current()` holds (the scan was not stopped or replaced); `found(text)` gets the first
// code read. Also used by the offline vehicle door (door.js).
export function scanVideo(video, session, current, found) {
  const canvas = document.createElement("canvas");
  const context = canvas.getContext("2d", { willReadFrequently: true });
  const scan = async () => {
    if (!current()) return;
    if (video.readyState >= 2 && video.videoWidth) {
      const scale = Math.min(1, 800 / Math.max(video.videoWidth, video.videoHeight));
      canvas.width = Math.round(video.videoWidth * scale);
      canvas.height = Math.round(video.videoHeight * scale);
      context.drawImage(video, 0, 0, canvas.width, canvas.height);
      const pixels = context.getImageData(0, 0, canvas.width, canvas.height);
      const code = window.jsQR(pixels.data, canvas.width, canvas.height, {
        inversionAttempts: "dontInvert",
      });
      if (code && code.data) return found(code.data);
    }
    session.timer = setTimeout(scan, 150);
  };
  scan();
}

// ---------------------------------------------------------------------------
// The page. Everything shown is set with textContent, never as HTML.

const STORE_TRUST = "sulh.verify.trust-list";
const STORE_STATUS = "sulh.verify.status-list";
// The highest sequence seen per root and kind: an older list is refused, even after a reload.
const STORE_SEEN = "sulh.verify.seen";
const REFRESH_MS = 5 * 60 * 1000; // the page keeps asking the site for newer lists
// The cache the service worker (verify-sw.js) answers from when offline: same name there.
const OFFLINE_CACHE = "sulh-verify-1";

export function readStore(name) {
  try {
    const raw = localStorage.getItem(name);
    return raw ? JSON.parse(raw) : null;
  } catch {
    return null;
  }
}

export function writeStore(name, value) {
  try {
    if (value === null) localStorage.removeItem(name);
    else localStorage.setItem(name, JSON.stringify(value));
  } catch {
    // Storage full or disabled (private mode): the lists still work until the page closes.
  }
}

async function fingerprint(bytes) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return toHex(digest).match(/.{4}/g).join(" ");
}

// The zone the lists' times are shown in: the programs' own when they share one, else UTC.
export function listZone(trust) {
  const zones = new Set([...(trust.policies || new Map()).values()].map((p) => p.timezone));
  return zones.size === 1 ? [...zones][0] : "UTC";
}

// The strictest freshness rule among the trust list's programs.
function listMaxAge(trust) {
  const hours = [...(trust.policies || new Map()).values()].map((p) => p.statusMaxAgeHours);
  return hours.length ? Math.min(...hours) : STATUS_MAX_AGE_HOURS;
}

function listDate(iso, zone) {
  try {
    return zonedText(isoToMicros(iso), zone);
  } catch {
    return "?";
  }
}

// The service worker (verify-sw.js, at the page's data-sw-url) answers from its cache
// when the network fails; the page puts itself and its files (and `more`) in that cache
// now, so that the very first visit suffices. True once they are there.
export async function keepOffline(root, more = []) {
  const url = root.dataset.swUrl;
  if (!url || !("serviceWorker" in navigator) || !("caches" in window)) return false;
  // Offline, the page came from the cache already; the browser updates the worker itself.
  if (navigator.onLine === false) return false;
  try {
    await navigator.serviceWorker.register(url, { scope: root.dataset.swScope });
    const assets = [location.pathname, ...more];
    for (const node of document.querySelectorAll("script[src], link[rel=stylesheet]")) {
      assets.push(node.src || node.href);
    }
    const cache = await caches.open(OFFLINE_CACHE);
    await cache.addAll(assets);
    return true;
  } catch {
    // No offline copy (private mode, or no secure context): the page still works online.
    return false;
  }
}

class VerifierPage {
  constructor(root) {
    this.root = root;
    this.text = JSON.parse(document.getElementById("verify-messages").textContent);
    nameZones(this.text);
    this.$ = (id) => document.getElementById(id);
    this.trust = null; // { list, document, source }
    this.status = null;
    this.listWork = Promise.resolve(); // list changes run one at a time, in order
    this.checking = 0;
    this.camera = null;
    // The root this deployment pins, rendered into the page by the site (not from a list).
    try {
      this.pinnedRoot = unb64u(root.dataset.rootKey || "");
    } catch {
      this.pinnedRoot = new Uint8Array();
    }
    this.rootId = toHex(this.pinnedRoot);
  }

  seen(kind) {
    const all = readStore(STORE_SEEN) || {};
    const mine = all[this.rootId] || {};
    return typeof mine[kind] === "number" ? mine[kind] : -1;
  }

  noteSeen(kind, sequence) {
    const all = readStore(STORE_SEEN) || {};
    const mine = all[this.rootId] || {};
    mine[kind] = Math.max(typeof mine[kind] === "number" ? mine[kind] : -1, sequence);
    all[this.rootId] = mine;
    writeStore(STORE_SEEN, all);
  }

  // The sentence in the page's language. Each filled-in value is a bidi isolate
  // (FSI ... PDI): a date such as 2027-02-21 inside Arabic would otherwise show as
  // 21-02-2027, its numbers taken for Arabic ones.
  t(key, params = {}) {
    const template = this.text[key] ?? key;
    return template.replace(
      /\{(\w+)\}/g,
      (_, name) => "\u2068" + String(params[name] ?? "") + "\u2069",
    );
  }

  async start() {
    this.$("verify-button").addEventListener("click", () => this.verifyText());
    this.$("card-text").addEventListener("input", () => this.clearResult());
    this.$("card-image").addEventListener("change", (event) => this.readImage(event.target));
    this.$("trust-file").addEventListener("change", (event) =>
      this.loadFile(event.target, "trust"),
    );
    this.$("status-file").addEventListener("change", (event) =>
      this.loadFile(event.target, "status"),
    );
    this.$("refresh-lists").addEventListener("click", () => this.fetchLists());
    if (navigator.mediaDevices && navigator.mediaDevices.getUserMedia && window.jsQR) {
      const button = this.$("camera-button");
      button.hidden = false;
      button.addEventListener("click", () =>
        this.camera ? this.stopCamera() : this.startCamera(),
      );
      // Give the camera back when the page is left or hidden.
      document.addEventListener("visibilitychange", () => document.hidden && this.stopCamera());
    }
    const capability = this.$("capability-note");
    if (!(globalThis.crypto && crypto.subtle)) {
      capability.textContent = this.t("no_webcrypto");
    } else if (typeof DecompressionStream === "undefined") {
      capability.textContent = this.t("no_decompression");
    }
    if (this.pinnedRoot.length === 0) capability.textContent = this.t("no_pinned_root");
    await this.restoreLists();
    // Whatever was loaded from a file, the site is asked for newer lists now and every
    // few minutes: the newest valid list by sequence wins.
    if (navigator.onLine !== false) await this.fetchLists();
    setInterval(() => navigator.onLine !== false && this.fetchLists(), REFRESH_MS);
    window.addEventListener("online", () => this.fetchLists());
    this.root.dataset.ready = "true";
    await this.goOffline();
  }

  serially(work) {
    const run = this.listWork.then(work, work);
    this.listWork = run.catch(() => {});
    return run;
  }

  // ----- lists

  async restoreLists() {
    const trust = readStore(STORE_TRUST);
    if (trust) {
      try {
        this.trust = { ...trust, list: await loadTrustList(trust.document, this.pinnedRoot) };
      } catch {
        writeStore(STORE_TRUST, null);
      }
    }
    const status = readStore(STORE_STATUS);
    if (status && this.trust) {
      try {
        this.status = {
          ...status,
          list: await loadStatusList(status.document, this.trust.list.statusSigner),
        };
      } catch {
        writeStore(STORE_STATUS, null);
      }
    }
    await this.showLists();
  }

  // A list older than one seen is refused; one not newer than the list in use is kept
  // aside (false); a newer one replaces it (true).
  newer(kind, list, current) {
    const seen = this.seen(kind);
    if (list.sequence < seen) throw new Refusal("list_older", { n: list.sequence, m: seen });
    return !current || list.sequence > current.list.sequence;
  }

  async setTrust(document, source) {
    const list = await loadTrustList(document, this.pinnedRoot);
    if (!this.newer("trust", list, this.trust)) return [this.t("kept_newer")];
    this.noteSeen("trust", list.sequence);
    this.trust = { document, source, list };
    writeStore(STORE_TRUST, { document, source });
    const notes = [];
    if (this.status) {
      try {
        await loadStatusList(this.status.document, list.statusSigner);
      } catch {
        this.status = null;
        writeStore(STORE_STATUS, null);
        notes.push(this.t("status_set_aside"));
      }
    }
    this.clearResult();
    return notes;
  }

  async setStatus(document, source) {
    if (!this.trust) throw new Refusal("trust_first");
    const list = await loadStatusList(document, this.trust.list.statusSigner);
    if (!this.newer("status", list, this.status)) return [this.t("kept_newer")];
    this.noteSeen("status", list.sequence);
    this.status = { document, source, list };
    writeStore(STORE_STATUS, { document, source });
    this.clearResult();
    return [];
  }

  async fetchLists() {
    const urls = [this.root.dataset.trustUrl, this.root.dataset.statusUrl];
    const documents = [];
    try {
      // One after the other: the server makes its root key on the first request ever.
      for (const url of urls) {
        const response = await fetch(url, { cache: "no-store", credentials: "omit" });
        if (!response.ok) throw new Error("HTTP " + response.status);
        documents.push(await response.json());
      }
    } catch {
      this.note(
        this.trust ? this.t("server_unreachable_stored") : this.t("server_unreachable"),
        !this.trust,
      );
      return;
    }
    await this.serially(async () => {
      let kind = "trust";
      try {
        const notes = await this.setTrust(documents[0], "server");
        kind = "status";
        const statusNotes = await this.setStatus(documents[1], "server");
        const kept = notes.length && statusNotes.length; // both already newer here
        const first = kept ? [] : [this.t("lists_updated")];
        this.note([...first, ...new Set([...notes, ...statusNotes])].join(" "), false);
      } catch (error) {
        const refused = kind === "trust" ? "trust_refused" : "status_refused";
        this.note(this.t(refused, { reason: this.refusalText(error, kind) }), true);
      }
      await this.showLists();
    });
  }

  async loadFile(input, kind) {
    const file = input.files && input.files[0];
    input.value = "";
    if (!file) return;
    const refused = kind === "trust" ? "trust_refused" : "status_refused";
    let document;
    try {
      if (file.size > 8 * 1024 * 1024) throw new Error("too large");
      document = JSON.parse(await file.text());
    } catch {
      this.note(this.t(refused, { reason: this.t("not_json") }), true);
      return;
    }
    await this.serially(async () => {
      try {
        if (kind === "trust") {
          const notes = await this.setTrust(document, "file");
          this.note([this.t("trust_loaded"), ...notes].join(" "), false);
        } else {
          const notes = await this.setStatus(document, "file");
          this.note([this.t("status_loaded"), ...notes].join(" "), false);
        }
      } catch (error) {
        this.note(this.t(refused, { reason: this.refusalText(error, kind) }), true);
      }
      await this.showLists();
    });
  }

  refusalText(error, kind = "trust") {
    if (!(error instanceof Refusal)) return this.t("unexpected");
    if (error.key === "list_bad_signature" && kind === "status") {
      return this.t("status_bad_signature");
    }
    return this.t(error.key === "bad_base64" ? "list_malformed" : error.key, error.params);
  }

  async showLists() {
    const trustLine = this.$("trust-state");
    const statusLine = this.$("status-state");
    const print = this.$("root-fingerprint");
    if (this.trust) {
      const source = this.t(this.trust.source === "file" ? "from_file" : "from_server");
      const zone = listZone(this.trust.list);
      trustLine.textContent = this.t("trust_state", {
        date: listDate(this.trust.list.issuedAt, zone),
        n: this.trust.list.keys.size,
        source,
        sequence: this.trust.list.sequence,
        until: zonedText(this.trust.list.expiresAt, zone),
      });
      print.textContent = await fingerprint(this.trust.list.rootPublicKey);
      print.parentElement.hidden = false;
    } else {
      trustLine.textContent = this.t("no_trust");
      print.parentElement.hidden = true;
    }
    // For tests and for anyone reading the page's state: where each list came from.
    this.root.dataset.trustSource = this.trust ? this.trust.source : "none";
    this.root.dataset.statusSource = this.status ? this.status.source : "none";
    statusLine.classList.remove("warn", "bad");
    delete this.root.dataset.statusAge;
    if (this.status) {
      const source = this.t(this.status.source === "file" ? "from_file" : "from_server");
      const zone = this.trust ? listZone(this.trust.list) : "UTC";
      const hours = statusAgeHours(this.status.list, Date.now());
      const maxHours = this.trust ? listMaxAge(this.trust.list) : STATUS_MAX_AGE_HOURS;
      const expired = Date.now() * 1000 > this.status.list.expiresAt;
      let line = this.t("status_state", {
        date: listDate(this.status.list.issuedAt, zone),
        age: this.ageText(hours),
        source,
        sequence: this.status.list.sequence,
        until: zonedText(this.status.list.expiresAt, zone),
      });
      if (expired) line += " " + this.t("status_list_expired");
      else if (hours !== null && hours > maxHours) {
        line += " " + this.t("status_list_old", { max: this.ageText(maxHours) });
      }
      statusLine.textContent = line;
      statusLine.classList.toggle("bad", expired);
      statusLine.classList.toggle("warn", !expired && hours !== null && hours > maxHours);
      if (hours !== null) this.root.dataset.statusAge = String(hours);
    } else {
      statusLine.textContent = this.t("no_status");
    }
  }

  // "5 hours", "20 days 3 hours": how old a list is, in the page's language.
  ageText(hours) {
    if (hours === null) return "?";
    if (hours < 48) return this.t("age_hours", { n: hours });
    const days = Math.floor(hours / 24);
    if (hours % 24 === 0) return this.t("age_days_only", { d: days });
    return this.t("age_days", { d: days, h: hours % 24 });
  }

  note(text, bad) {
    const line = this.$("list-note");
    line.textContent = text;
    line.classList.toggle("bad", Boolean(bad));
  }

  // ----- verifying

  clearResult() {
    // A shown verdict belongs to the card it was given for: clear it on any change.
    this.checking++;
    const box = this.$("result");
    box.hidden = true;
    box.removeAttribute("data-verdict");
  }

  async verifyText() {
    await this.verify(this.$("card-text").value);
  }

  async verify(text) {
    this.clearResult();
    const ticket = this.checking;
    if (!text.trim()) return this.showMessage(this.t("enter_text"));
    if (!this.trust) return this.showMessage(this.t("trust_first"));
    this.showMessage(this.t("checking"));
    let outcome;
    try {
      outcome = await verifyCard(text, {
        trust: this.trust.list,
        status: this.status ? this.status.list : null,
      });
    } catch (error) {
      const known = error instanceof Refusal;
      if (ticket === this.checking) this.showMessage(this.t(known ? error.key : "unexpected"));
      return;
    }
    if (ticket === this.checking) this.showResult(outcome);
  }

  // The face signed in the card, from its bytes (never from anywhere else).
  showFace(photo) {
    const figure = this.$("fact-face");
    const image = this.$("fact-face-img");
    if (this.faceUrl) URL.revokeObjectURL(this.faceUrl);
    this.faceUrl = null;
    figure.hidden = !photo;
    this.root.dataset.face = photo ? "shown" : "none";
    if (!photo) {
      image.removeAttribute("src");
      return;
    }
    const webp = photo.length > 12 && String.fromCharCode(...photo.slice(8, 12)) === "WEBP";
    this.faceUrl = URL.createObjectURL(new Blob([photo], { type: webp ? "image/webp" : "image/jpeg" }));
    image.src = this.faceUrl;
  }

  showMessage(text) {
    const box = this.$("result");
    box.hidden = false;
    box.removeAttribute("data-verdict");
    box.className = "verdict neutral";
    this.$("verdict-label").textContent = "";
    this.$("verdict-message").textContent = text;
    this.$("verdict-facts").hidden = true;
    this.showFace(null);
    this.$("verdict-note").textContent = "";
  }

  showResult(outcome) {
    const box = this.$("result");
    box.hidden = false;
    box.dataset.verdict = outcome.verdict;
    // A valid card under a status list older than the program's rule: amber, not green.
    const old = outcome.verdict === Verdict.VALID && outcome.statusAge;
    box.className = "verdict " + (outcome.verdict === Verdict.VALID ? (old ? "warn" : "good") : "bad");
    if (old) box.dataset.fresh = "old";
    else delete box.dataset.fresh;
    this.$("verdict-label").textContent = this.t(old ? "verdict:VALID_OLD_LIST" : "verdict:" + outcome.verdict);
    this.$("verdict-message").textContent = this.t(outcome.message.key, outcome.message.params);
    const facts = this.$("verdict-facts");
    facts.hidden = !outcome.holder;
    if (!outcome.holder) this.showFace(null);
    if (outcome.holder) {
      const { holder, card } = outcome;
      const set = (id, value) => {
        const field = this.$(id); // a <bdi> in its <dd>, in a <div> with its <dt>
        field.textContent = value;
        field.closest("div").hidden = value === "";
      };
      set("fact-name-ar", holder.nameAr);
      set("fact-name-lat", holder.nameLat);
      set("fact-birth-year", holder.birthYear === null ? "—" : String(holder.birthYear));
      const policy = policyFor(this.trust.list, card.programCode);
      const grants = policy.grants ? policy.grants[document.documentElement.lang === "ar" ? "ar" : "en"] : "";
      set("fact-grants", grants || "");
      this.showFace(holder.photo);
      // named as on the printed card where this page knows the name (the code otherwise)
      set("fact-station", this.text[`station:${card.station}`] || card.station);
      set("fact-program", this.text[`program:${card.program}`] || card.program);
      set("fact-valid-from", zonedDate(card.validFrom, card.timezone));
      set("fact-valid-until", zonedDate(card.validUntil, card.timezone));
      set("fact-card-id", card.cardId);
    }
    let note = "";
    if (outcome.statusAge) {
      const params = {
        age: this.ageText(outcome.statusAge.hours),
        max: this.ageText(outcome.statusAge.maxHours),
      };
      note = this.t(old ? "status_old_note" : "status_age_note", params);
    }
    if (outcome.verdict === Verdict.MALFORMED) note = this.t("do_not_accept_note");
    this.$("verdict-note").textContent = note;
    box.scrollIntoView({ block: "nearest" });
  }

  // ----- QR codes

  decodeCanvas(canvas, context, both) {
    const pixels = context.getImageData(0, 0, canvas.width, canvas.height);
    const found = window.jsQR(pixels.data, canvas.width, canvas.height, {
      inversionAttempts: both ? "attemptBoth" : "dontInvert",
    });
    return found && found.data ? found.data : null;
  }

  async readImage(input) {
    const file = input.files && input.files[0];
    input.value = "";
    if (!file) return;
    this.clearResult();
    if (!window.jsQR) return this.showMessage(this.t("no_qr_reader"));
    let bitmap;
    try {
      bitmap = await createImageBitmap(file);
    } catch {
      return this.showMessage(this.t("not_an_image"));
    }
    // Try the image at up to 1600 px, then smaller: phone photos are large and noisy.
    const canvas = document.createElement("canvas");
    const context = canvas.getContext("2d", { willReadFrequently: true });
    let text = null;
    for (const limit of [1600, 800, 400]) {
      const scale = Math.min(1, limit / Math.max(bitmap.width, bitmap.height));
      canvas.width = Math.max(1, Math.round(bitmap.width * scale));
      canvas.height = Math.max(1, Math.round(bitmap.height * scale));
      context.fillStyle = "#fff"; // transparent PNGs read as black on black otherwise
      context.fillRect(0, 0, canvas.width, canvas.height);
      context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      text = this.decodeCanvas(canvas, context, true);
      if (text || scale === 1) break;
    }
    bitmap.close();
    if (!text) return this.showMessage(this.t("no_qr_found"));
    this.$("card-text").value = text;
    await this.verify(text);
  }

  async startCamera() {
    this.clearResult();
    const video = this.$("camera-video");
    const button = this.$("camera-button");
    let stream;
    button.disabled = true; // until the browser answers: one camera at a time
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: { ideal: "environment" } },
        audio: false,
      });
    } catch {
      return this.showMessage(this.t("camera_failed"));
    } finally {
      button.disabled = false;
    }
    const session = { stream, timer: 0 };
    this.camera = session;
    button.textContent = this.t("stop_camera");
    await showVideo(video, stream);
    scanVideo(video, session, () => this.camera === session, async (text) => {
      this.stopCamera();
      this.$("card-text").value = text;
      await this.verify(text);
    });
  }

  stopCamera() {
    if (!this.camera) return;
    cameraOff(this.camera, this.$("camera-video"));
    this.camera = null;
    this.$("camera-button").textContent = this.t("scan_camera");
  }

  // ----- offline

  // The service worker answers from its cache when the network fails; the page puts
  // itself and its files in that cache now, so that the very first visit suffices.
  async goOffline() {
    if (await keepOffline(this.root)) this.root.dataset.offline = "ready";
  }
}

if (typeof document !== "undefined") {
  const root = document.getElementById("verifier");
  if (root) new VerifierPage(root).start();
}
