import { z } from "zod";

export const roles = ["system", "user", "assistant"] as const;
export type Role = (typeof roles)[number];
export type Message = { role: Role; content: string };

export const maxContentChars = 100_000;
export const maxMessages = 200;

// Unknown keys (name, tool_calls, …) are dropped: the platform only stores role and content.
export const ZMessage = z.object({
  role: z.enum(roles),
  content: z.string().max(maxContentChars, `expected at most ${maxContentChars} characters`),
});

export const ZMessages = z
  .array(ZMessage)
  .min(1, "expected at least one message")
  .max(maxMessages, `expected at most ${maxMessages} messages`);

const human = "\n\nHuman:";
const assistant = "\n\nAssistant:";
// Leftmost match of either marker; neither marker can overlap the end of the text before it,
// so the first match is always a real turn boundary.
const marker = /\n\n(Human|Assistant):/g;

/**
 * Renders a conversation in the Anthropic HH layout. HH has no system turn, so system content is
 * prefixed to the next Human turn, separated by a blank line (a trailing one becomes its own Human
 * turn). This is lossy: parseHhText gives the system text back as part of that user message.
 */
export function toHhText(messages: Message[]): string {
  let text = "";
  let pendingSystem: string[] = [];
  const flushSystemAsHuman = () => {
    if (pendingSystem.length > 0) text += `${human} ${pendingSystem.join("\n\n")}`;
    pendingSystem = [];
  };
  for (const message of messages) {
    if (message.role === "system") {
      pendingSystem.push(message.content);
    } else if (message.role === "user") {
      const content = [...pendingSystem, message.content].join("\n\n");
      pendingSystem = [];
      text += `${human} ${content}`;
    } else {
      flushSystemAsHuman();
      text += `${assistant} ${message.content}`;
    }
  }
  flushSystemAsHuman();
  return text;
}

/**
 * Splits an HH text into user/assistant messages. Content is kept verbatim apart from the single
 * space after each marker, so toHhText → parseHhText is the identity for user/assistant turns whose
 * content contains no marker.
 */
export function parseHhText(text: string): Message[] {
  // Some HH-derived datasets drop the newlines before the first turn.
  const normalised = text.startsWith("Human:") || text.startsWith("Assistant:") ? `\n\n${text}` : text;
  const matches = [...normalised.matchAll(marker)];
  const first = matches[0];
  if (first === undefined || first.index !== 0) {
    throw new Error(String.raw`expected the text to start with "\n\nHuman:"`);
  }
  return matches.map((match, i) => {
    const start = match.index + match[0].length;
    const end = matches[i + 1]?.index ?? normalised.length;
    let content = normalised.slice(start, end);
    if (content.startsWith(" ")) content = content.slice(1);
    return { role: match[1] === "Human" ? "user" : "assistant", content };
  });
}
