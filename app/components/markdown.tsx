import "katex/dist/katex.min.css";
import type { Root, RootContent } from "hast";
import { memo } from "react";
import ReactMarkdown, { type Components, type Options } from "react-markdown";
import rehypeHighlight from "rehype-highlight";
import rehypeKatex from "rehype-katex";
import rehypeSanitize, { defaultSchema, type Options as SanitizeSchema } from "rehype-sanitize";
import remarkGfm from "remark-gfm";
import remarkMath from "remark-math";

/**
 * Model output and prompts are untrusted. HTML in them is shown as the literal text it is: without
 * rehype-raw it reaches the tree as "raw" nodes, which rehype-sanitize would silently drop, so
 * they are turned into text first and the annotator sees exactly what the model wrote.
 */
function rehypeRawAsText() {
  const visit = (node: Root | RootContent) => {
    if (!("children" in node)) return;
    const atRoot = node.type === "root";
    node.children = node.children.map((child) => {
      if (child.type !== "raw") return child;
      const text = { type: "text" as const, value: child.value };
      // An HTML block at the top level gets a paragraph of its own, like the block it replaces.
      return atRoot ? { type: "element" as const, tagName: "p", properties: {}, children: [text] } : text;
    }) as typeof node.children;
    node.children.forEach(visit);
  };
  return (tree: Root) => visit(tree);
}

// remark-math marks math with these classes; KaTeX and highlight.js run after sanitising, on
// markup they generate themselves from plain text (KaTeX's `trust` stays off: no \href, no \html*).
const schema: SanitizeSchema = {
  ...defaultSchema,
  attributes: { ...defaultSchema.attributes, code: [["className", /^language-./, "math-inline", "math-display"]] },
};

const rehypePlugins: Options["rehypePlugins"] = [rehypeRawAsText, [rehypeSanitize, schema], rehypeKatex, [rehypeHighlight, { detect: false }]];
const remarkPlugins: Options["remarkPlugins"] = [remarkGfm, remarkMath];

const components: Components = {
  a: ({ href, children }) => (
    <a href={href} target="_blank" rel="noopener noreferrer nofollow" className="text-blue-700 underline">
      {children}
    </a>
  ),
  // A remote image could track the annotator or leak the page's content; show what it points to.
  img: ({ src, alt }) => (
    <span className="rounded bg-slate-100 px-1 text-xs text-slate-600">
      [image{alt ? `: ${alt}` : ""}
      {typeof src === "string" && src ? ` — ${src}` : ""}]
    </span>
  ),
};

/** Sanitised markdown with GFM, math and code highlighting; memoised because tasks re-render on every keystroke. */
export const Markdown = memo(function Markdown({ content, className }: { content: string; className?: string }) {
  return (
    <div className={`markdown ${className ?? ""}`}>
      <ReactMarkdown remarkPlugins={remarkPlugins} rehypePlugins={rehypePlugins} components={components}>
        {content}
      </ReactMarkdown>
    </div>
  );
});
