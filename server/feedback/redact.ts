// PII redaction for production feedback, run before anything of it is stored or logged.
//
// Libraries where one fits:
// - phone numbers: libphonenumber-js (Google's libphonenumber metadata, kept current with numbering
//   plans; finds and validates numbers in free text, so digit runs that are no valid number pass);
// - IBANs: ibantools (country lengths and the mod-97 check);
// - person names: compromise (a small rule-and-lexicon English tagger, no model download, whose
//   `people()` finds names from a first-name lexicon and title/context rules).
// Emails, payment cards (with the Luhn check), other account numbers and street addresses have no
// well-kept text-scanning library for Node (redact-pii depends on Google Cloud DLP and is no
// longer maintained), so they are patterns of our own below, each with its reason.
import nlp from "compromise";
import { isValidIBAN } from "ibantools";
import { findPhoneNumbersInText, type CountryCode } from "libphonenumber-js";

import { piiKinds, placeholders, type PiiKind, type RedactionCounts } from "./redact-kinds";

export { piiKinds, placeholders, type PiiKind, type RedactionCounts };

type Span = { start: number; end: number };

// RFC 5322 allows more, but this is the shape addresses take in chat text (the WHATWG form rule).
const emailPattern = /[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+/g;

// 13 to 19 digits, optionally grouped by spaces or dashes; only a Luhn-valid run is a card.
const cardCandidate = /(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])/g;

// Two letters, two check digits, then up to 30 alphanumerics, optionally in groups of four.
const ibanCandidate = /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{1,4}){3,8}\b/g;

/** The longest prefix of a candidate (whole groups) that is a valid IBAN: it may run into a word. */
function ibanSpan(m: RegExpExecArray): Span | null {
  for (let candidate = m[0]; candidate.replace(/\s/g, "").length >= 15; candidate = candidate.replace(/ ?[A-Z0-9]$/, "")) {
    if (isValidIBAN(candidate.replace(/\s/g, ""))) return { start: m.index, end: m.index + candidate.length };
  }
  return null;
}

// An account, routing or sort-code number is only recognisable by what is said around it: a bare
// digit run could be an order number. The cue word must precede it within a few words.
const accountPattern =
  /\b(?:account|acct|a\/c|routing|sort code|iban|bank|member(?:ship)?|policy|customer)(?:\s+(?:no\.?|number|num|#|id))?[\s:#.-]*(?:is\s+|was\s+)?((?:\d[ -]?){5,17}\d)\b/gi;

// Street addresses: a house number, one to four capitalised words and a street-type word, with an
// optional unit and "City, ST 12345" / postcode tail. No maintained JS address parser scans free
// text (node-postal needs the libpostal C library and its 2 GB model).
const streetTypes =
  "Street|St|Avenue|Ave|Road|Rd|Lane|Ln|Boulevard|Blvd|Drive|Dr|Court|Ct|Place|Pl|Way|Terrace|Close|Crescent|Square|Sq|Parkway|Pkwy|Highway|Hwy|Row|Gardens|Strasse|Straße";
const addressPattern = new RegExp(
  String.raw`\b\d{1,6}[A-Za-z]?,?\s+(?:[A-Z][A-Za-z'.-]*\s+){1,4}(?:${streetTypes})\b\.?` +
    String.raw`(?:,?\s*(?:Apt|Apartment|Suite|Unit|Flat|#)\.?\s*[\w-]+)?` +
    // The town's words have lower-case letters, so a postcode after it ("Bristol BS8 1QU") is not read as one.
    String.raw`(?:,\s*[A-Z][a-z][A-Za-z.-]*(?:\s+[A-Z][a-z][A-Za-z.-]*){0,2})?` +
    String.raw`(?:,?\s*(?:[A-Z]{2}\s+\d{5}(?:-\d{4})?|[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}|\d{4,5}))?`,
  "g",
);

// compromise misses names it has no lexicon entry for when they are introduced ("call me Ishmael",
// "my name is Priya Raman"); the introduction itself says the next capitalised words are a name.
const nameCues = ["my name is", "my name's", "name is", "call me", "i am", "i'm", "this is", "signed", "regards,", "thanks,", "cheers,", "ask", "tell", "dear", "hi", "hello", "contact"];
// Each cue matches with its first letter in either case; the name words after it must be capitalised.
const introducedName = new RegExp(
  String.raw`\b(?:${nameCues.map((c) => `[${c[0]!.toUpperCase()}${c[0]}]${c.slice(1)}`).join("|")})\s+((?:[A-Z][a-z]+(?:[-'][A-Z][a-z]+)?)(?:\s+[A-Z][a-z]+(?:[-'][A-Z][a-z]+)?){0,2})\b`,
  "g",
);

// Capitalised words that follow those cues without being names ("I am Happy to", "Hi There").
const notNames = new Set(
  "I A The This That There Here Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May June July August September October November December Please Thanks Thank Sorry Yes No Ok Okay Hello Hi Dear Sir Madam Team All Everyone Support English French German Spanish Google Amazon Apple Microsoft Python JavaScript Excel Word Paris London Berlin Tokyo New York"
    .split(" "),
);

const phoneCountries: CountryCode[] = ["US", "GB", "DE", "FR", "IN", "AU"];

function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

function regexSpans(text: string, pattern: RegExp, accept: (match: RegExpExecArray) => Span | null = (m) => ({ start: m.index, end: m.index + m[0].length })): Span[] {
  const spans: Span[] = [];
  for (const match of text.matchAll(pattern)) {
    const span = accept(match as RegExpExecArray);
    if (span) spans.push(span);
  }
  return spans;
}

const detectors: Record<PiiKind, (text: string) => Span[]> = {
  email: (text) => regexSpans(text, emailPattern),
  card: (text) =>
    regexSpans(text, cardCandidate, (m) => {
      const digits = m[0].replace(/\D/g, "");
      return digits.length >= 13 && digits.length <= 19 && luhnValid(digits) ? { start: m.index, end: m.index + m[0].length } : null;
    }),
  account: (text) => [
    ...regexSpans(text, ibanCandidate, ibanSpan),
    ...regexSpans(text, accountPattern, (m) => {
      const start = m.index + m[0].length - m[1]!.length;
      return { start, end: m.index + m[0].length };
    }),
  ],
  phone: (text) => {
    const spans: Span[] = [];
    for (const country of phoneCountries) {
      for (const found of findPhoneNumbersInText(text, { defaultCountry: country })) {
        // Short national numbers (some countries allow 5 digits) read years, versions and order
        // numbers as phones; a number written without "+" needs at least 9 digits.
        const written = text.slice(found.startsAt, found.endsAt);
        if (!written.trimStart().startsWith("+") && written.replace(/\D/g, "").length < 9) continue;
        spans.push({ start: found.startsAt, end: found.endsAt });
      }
    }
    return spans;
  },
  address: (text) => regexSpans(text, addressPattern, (m) => ({ start: m.index, end: m.index + m[0].replace(/[\s,.]+$/, "").length })),
  name: (text) => {
    const spans: Span[] = [];
    for (const person of nlp(text).people().json({ offset: true }) as { text: string; offset: { start: number; length: number } }[]) {
      const raw = text.slice(person.offset.start, person.offset.start + person.offset.length);
      // compromise's span can end in punctuation or a possessive ("Aisha Bello's"), which stay.
      const trimmed = raw.replace(/(?:['’]s)?[\s,.;:!?'"’]*$/, "");
      // A placeholder already put in is not a name.
      if (!/[A-Za-z]/.test(trimmed) || /^\[[A-Z]+\]$/.test(trimmed)) continue;
      spans.push({ start: person.offset.start, end: person.offset.start + trimmed.length });
    }
    for (const m of text.matchAll(introducedName)) {
      const words = m[1]!.split(/\s+/);
      // Trailing words that are not names are dropped ("I'm Sam Thanks" -> "Sam").
      while (words.length && notNames.has(words[words.length - 1]!)) words.pop();
      if (!words.length || notNames.has(words[0]!)) continue;
      const start = m.index + m[0].length - m[1]!.length;
      spans.push({ start, end: start + words.join(" ").length });
    }
    return spans;
  },
};

type Found = { kind: PiiKind; value: string };

/** Replaces the spans (overlaps merged) with the placeholder; returns the text, the count and what went. */
function replaceSpans(text: string, spans: Span[], placeholder: string): { text: string; count: number; values: string[] } {
  if (!spans.length) return { text, count: 0, values: [] };
  const sorted = [...spans].sort((a, b) => a.start - b.start || b.end - a.end);
  const merged: Span[] = [];
  for (const span of sorted) {
    const last = merged.at(-1);
    if (last && span.start < last.end) last.end = Math.max(last.end, span.end);
    else merged.push({ ...span });
  }
  let out = "";
  let at = 0;
  for (const span of merged) {
    out += text.slice(at, span.start) + placeholder;
    at = span.end;
  }
  return { text: out + text.slice(at), count: merged.length, values: merged.map((span) => text.slice(span.start, span.end)) };
}

function redactOne(text: string, counts: RedactionCounts, found: Found[]): string {
  let current = text;
  for (const kind of piiKinds) {
    const { text: next, count, values } = replaceSpans(current, detectors[kind](current), placeholders[kind]);
    current = next;
    if (count) counts[kind] = (counts[kind] ?? 0) + count;
    for (const value of values) found.push({ kind, value });
  }
  return current;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * The texts with every PII found replaced by its typed placeholder, and the counts by type. Kinds
 * run in a fixed order, most specific first: an email's digits are gone before the card and phone
 * scanners look, a card is gone before the phone scanner could read part of it as a number.
 *
 * The texts are one conversation: what was found in one is also taken out of the others, since an
 * answer repeats a name the user introduced ("I'm Priya" ... "Thanks, Priya") without the cue that
 * made it recognisable.
 */
export function redactTexts(texts: readonly string[]): { texts: string[]; counts: RedactionCounts } {
  const counts: RedactionCounts = {};
  const found: Found[] = [];
  const first = texts.map((text) => redactOne(text, counts, found));
  // A full name's parts go too: "I'm Priya Raman" ... "Sorry Priya". Longest first, so "Sarah
  // Connor" goes before "Sarah" could split it.
  const parts = found.filter((f) => f.kind === "name").flatMap((f) => f.value.split(/\s+/).filter((w) => /^[A-Z][a-z'-]{2,}$/.test(w) && !notNames.has(w)).map((value) => ({ kind: "name" as const, value })));
  const known = [...new Map([...found, ...parts].filter((f) => f.value.trim().length >= 3).map((f) => [f.value, f])).values()].sort((a, b) => b.value.length - a.value.length);
  if (!known.length) return { texts: first, counts };
  const again = first.map((text) => {
    let current = text;
    for (const { kind, value } of known) {
      const pattern = new RegExp(`(?<![\\w@])${escapeRegExp(value)}(?![\\w@])`, "g");
      const { text: next, count } = replaceSpans(current, regexSpans(current, pattern), placeholders[kind]);
      current = next;
      if (count) counts[kind] = (counts[kind] ?? 0) + count;
    }
    return current;
  });
  return { texts: again, counts };
}

/** One text on its own (see redactTexts). */
export function redactText(text: string): { text: string; counts: RedactionCounts } {
  const { texts, counts } = redactTexts([text]);
  return { text: texts[0]!, counts };
}

export function addCounts(into: RedactionCounts, from: RedactionCounts): RedactionCounts {
  for (const kind of piiKinds) if (from[kind]) into[kind] = (into[kind] ?? 0) + from[kind]!;
  return into;
}
