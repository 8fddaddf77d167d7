import { describe, expect, it } from "vitest";
import { measureRedaction } from "./redact-corpus";
import { redactText, redactTexts } from "./redact";

describe("redactText", () => {
  it.each([
    ["Write to jane.doe+news@mail.example.co.uk today", "Write to [EMAIL] today", { email: 1 }],
    ["Card 4111 1111 1111 1111 was declined", "Card [CARD] was declined", { card: 1 }],
    ["Card 4111-1111-1111-1112 is a typo", "Card 4111-1111-1111-1112 is a typo", {}],
    ["Refund to DE89 3704 0044 0532 0130 00 please", "Refund to [ACCOUNT] please", { account: 1 }],
    ["My account number is 12345678.", "My account number is [ACCOUNT].", { account: 1 }],
    ["Ring +44 20 7946 0958 after six", "Ring [PHONE] after six", { phone: 1 }],
    ["It ships to 350 Fifth Avenue, New York, NY 10118 tomorrow", "It ships to [ADDRESS] tomorrow", { address: 1 }],
    ["Deliver to Flat 3, 27 Queen's Road, Bristol BS8 1QU", "Deliver to Flat 3, [ADDRESS]", { address: 1 }],
    ["Call me Ishmael.", "Call me [NAME].", { name: 1 }],
    ["Aisha Bello's order has not arrived.", "[NAME]'s order has not arrived.", { name: 1 }],
    ["Please cc Ingrid Larsen and Mateo Silva.", "Please cc [NAME] and [NAME].", { name: 2 }],
    ["May I ask a question?", "May I ask a question?", {}],
    ["Order 123456 left in 1984.", "Order 123456 left in 1984.", {}],
  ])("%s", (input, output, counts) => {
    expect(redactText(input)).toEqual({ text: output, counts });
  });

  it("takes a name found in one text of a conversation out of the others, parts included", () => {
    expect(redactTexts(["Hi, I'm Priya Raman.", "Hello Priya, how can I help?"]).texts).toEqual(["Hi, I'm [NAME].", "Hello [NAME], how can I help?"]);
  });
});

describe("the planted-PII corpus", () => {
  const m = measureRedaction();
  it.each(["email", "card", "phone", "account", "address"] as const)("removes every planted %s", (kind) => {
    expect(m.recall[kind].missed).toEqual([]);
    expect(m.recall[kind].planted).toBeGreaterThanOrEqual(20);
  });
  it("removes at least 97% of planted names", () => {
    expect(m.recall.name.removed / m.recall.name.planted).toBeGreaterThanOrEqual(0.97);
  });
  it("leaves at least 95% of the clean sentences untouched", () => {
    expect(m.clean.untouched / m.clean.total).toBeGreaterThanOrEqual(0.95);
  });
});
