export function Panel({ title, children, actions }: { title: string; children: React.ReactNode; actions?: React.ReactNode }) {
  return (
    <section className="space-y-4 rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
      <div className="flex items-center justify-between">
        <h2>{title}</h2>
        {actions}
      </div>
      {children}
    </section>
  );
}

export function ErrorText({ message }: { message: string | null | undefined }) {
  if (!message) return null;
  return (
    <p role="alert" className="rounded bg-red-50 px-3 py-2 text-sm text-red-700">
      {readableError(message)}
    </p>
  );
}

/**
 * The server's input errors read as sentences: "Invalid input: name: Name the set" becomes "Name the
 * set." A message that is not a sentence of its own keeps the name of its field.
 */
export function readableError(message: string): string {
  const prefix = "Invalid input: ";
  if (!message.startsWith(prefix)) return message;
  return message
    .slice(prefix.length)
    .split("; ")
    .map((part) => {
      const m = /^([\w.[\]-]+): (.*)$/s.exec(part);
      if (!m) return part;
      const [, path, text] = m as unknown as [string, string, string];
      const sentence = /^[A-Z]/.test(text) ? text : `${path.replace(/^changes\./, "").split(".").filter((p) => !/^\d+$/.test(p)).pop()}: ${text}`;
      return /[.!?]$/.test(sentence) ? sentence : `${sentence}.`;
    })
    .join(" ");
}

/** The end of a settings form: what is wrong with the draft, the server's error, "Saved", and the submit button. */
export function SaveFooter({
  problems,
  error,
  saved,
  pending,
  disabled,
  label,
}: {
  problems: string[];
  error: string | null | undefined;
  saved: string | null;
  pending: boolean;
  disabled: boolean;
  label: string;
}) {
  return (
    <>
      {problems.length > 0 && (
        <ul className="list-inside list-disc text-sm text-red-700" role="alert">
          {problems.map((m) => (
            <li key={m}>{m}</li>
          ))}
        </ul>
      )}
      <ErrorText message={error} />
      <div className="flex items-center justify-end gap-3">
        {saved && !pending && (
          <span role="status" className="text-sm text-green-700">
            {saved}
          </span>
        )}
        <button type="submit" className="btn-primary" disabled={disabled || pending}>
          {pending ? "Saving…" : label}
        </button>
      </div>
    </>
  );
}
