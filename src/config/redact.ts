/**
 * Keeps secrets out of every error line and log line: credentials in URLs (user:password@, key-like
 * query values, API keys in the path), hex private keys next to the words that name them, and any value
 * the configuration loaded as a secret (registered here when it is read, so that a secret echoed inside
 * some library's message is masked too). Masked values read `***`.
 */

const MASK = "***";

/** Secrets shorter than this are not registered: masking two letters everywhere would garble every line. */
const MIN_SECRET_LENGTH = 4;
/** Secrets shorter than this are masked only as whole tokens, not inside longer words. */
const SHORT_SECRET_LENGTH = 12;

const registry = new Set<string>();

/** Registers a value that must never be printed (a private key, a password, a URL credential). */
export function registerSecret(value: string | null | undefined): void {
  if (typeof value !== "string") return;
  const secret = value.trim();
  if (secret.length < MIN_SECRET_LENGTH) return;
  registry.add(secret);
}

/** Registers the credential parts of a URL: its password, key-like query values and path tokens. */
export function registerUrlSecrets(url: string | null | undefined): void {
  if (typeof url !== "string" || !URL.canParse(url)) return;
  const parsed = new URL(url);
  if (parsed.password) {
    registerSecret(parsed.password);
    registerSecret(safeDecode(parsed.password));
  }
  for (const [name, value] of parsed.searchParams) if (SENSITIVE_NAME.test(name)) registerSecret(value);
  const segments = parsed.pathname.split("/");
  segments.forEach((segment, i) => {
    if (isPathToken(segment, segments[i - 1])) registerSecret(segment);
  });
}

/** The secrets registered so far (for tests and diagnostics; never print them). */
export function registeredSecrets(): readonly string[] {
  return [...registry];
}

/** Forgets every registered secret (tests only). */
export function clearRegisteredSecrets(): void {
  registry.clear();
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Query parameter names whose values are credentials. */
const SENSITIVE_NAME = /key|token|secret|passw|pwd|auth|signature|credential|session/i;

/** A path segment that is an API key: after a version segment (`/v3/<key>`, `/v2/<key>`) or a long hex run. */
function isPathToken(segment: string, previous: string | undefined): boolean {
  if (/^[0-9a-fA-F]{32,}$/.test(segment)) return true;
  return previous !== undefined && /^v\d+$/i.test(previous) && /^[A-Za-z0-9_-]{16,}$/.test(segment);
}

const URL_PATTERN = /\b[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^\s"'`<>\\]+/g;

function redactUrl(url: string): string {
  // userinfo: everything between the scheme and the last '@' before the path.
  let out = url.replace(
    /^([a-zA-Z][a-zA-Z0-9+.-]*:\/\/)([^/?#@\s]*@)+/,
    (_m, scheme: string, info: string) =>
      info.includes(":") ? `${scheme}${MASK}:${MASK}@` : `${scheme}${MASK}@`,
  );
  const queryAt = out.search(/[?#]/);
  const head = queryAt >= 0 ? out.slice(0, queryAt) : out;
  const tail = queryAt >= 0 ? out.slice(queryAt) : "";
  const hostEnd = head.indexOf("/", head.indexOf("://") + 3);
  let path = hostEnd >= 0 ? head.slice(hostEnd) : "";
  if (path) {
    const segments = path.split("/");
    path = segments.map((s, i) => (isPathToken(s, segments[i - 1]) ? MASK : s)).join("/");
  }
  const query = tail.replace(/([?&#;])([^=&#\s]*)=([^&#\s]*)/g, (match, sep: string, name: string) =>
    SENSITIVE_NAME.test(name) ? `${sep}${name}=${MASK}` : match,
  );
  out = (hostEnd >= 0 ? head.slice(0, hostEnd) : head) + path + query;
  return out;
}

/** A 32-byte hex value right after a word that names it as a key, password or secret. */
const NAMED_KEY =
  /\b((?:private[\s_-]?key|secret[\s_-]?key|signing[\s_-]?key|api[\s_-]?key|key|psk|pnet|swarm[\s_-]?key|password|passphrase|secret|mnemonic)["']?\s*(?:[:=]|is)?\s*["']?)(?:0x)?[0-9a-fA-F]{64}\b/gi;
/** A libp2p private network key file's body (`/key/swarm/psk/1.0.0/`, `/base16/`, then the key). */
const SWARM_KEY = /(\/base16\/(?:\\n|\s)+)[0-9a-fA-F]{64}\b/g;
/** `KEY=value` assignments of the project's secret variables, as a shell or an env dump would print them. */
const SECRET_ASSIGNMENT = /\b(CFL_PRIVATE_KEY|CFL_KEYSTORE_PASSWORD)(["']?\s*[=:]\s*["']?)([^\s"',}]+)/g;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function variants(secret: string): string[] {
  const out = new Set([secret]);
  if (/^(0x)?[0-9a-fA-F]+$/.test(secret) && secret.length >= 16) out.add(secret.replace(/^0x/i, ""));
  const json = JSON.stringify(secret).slice(1, -1);
  out.add(json);
  out.add(encodeURIComponent(secret));
  return [...out].filter((v) => v.length >= MIN_SECRET_LENGTH);
}

function maskKnown(text: string, secrets: Iterable<string>): string {
  const all = new Set<string>();
  for (const secret of secrets) {
    if (typeof secret !== "string" || secret.trim().length < MIN_SECRET_LENGTH) continue;
    for (const v of variants(secret.trim())) all.add(v);
  }
  // Longest first, so that a secret containing another is masked whole.
  for (const secret of [...all].sort((a, b) => b.length - a.length)) {
    const hex = /^(0x)?[0-9a-fA-F]+$/.test(secret);
    const body = escapeRegExp(secret);
    const pattern = secret.length < SHORT_SECRET_LENGTH ? `(?<![A-Za-z0-9])${body}(?![A-Za-z0-9])` : body;
    text = text.replace(new RegExp(pattern, hex ? "gi" : "g"), MASK);
  }
  return text;
}

/**
 * `text` with every secret masked: the registered ones and `knownSecrets` wherever they appear, and
 * by shape: URL credentials, key-like query values and path tokens, hex keys named as keys.
 */
export function redactSecrets(text: string, knownSecrets: Iterable<string> = []): string {
  let out = maskKnown(text, [...registry, ...knownSecrets]);
  out = out.replace(URL_PATTERN, redactUrl);
  out = out.replace(NAMED_KEY, (_m, label: string) => `${label}${MASK}`);
  out = out.replace(SWARM_KEY, (_m, label: string) => `${label}${MASK}`);
  out = out.replace(SECRET_ASSIGNMENT, (_m, name: string, sep: string) => `${name}${sep}${MASK}`);
  return out;
}
